"""Read queries of the workbench: the searchable lists (clients, applications, contracts, loans),
the client card's history, the figures of the reports and the accountant's ledger journal.

Everything here is one set-based query per list, page or chart series (filters, ``GROUP BY`` and
aggregates in the database); nothing loops over loans or transfers in Python except to write out
the rows of a page or a CSV stream.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Greatest, TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from qaryz.clients.models import Client
from qaryz.lending.models import Application, Contract, Decision, DisbursementMethod
from qaryz.servicing.models import LedgerAccount, Loan, Payment, Payout, SuspenseItem, Transfer

GRAINS = ("day", "week", "month")


def local_zone() -> ZoneInfo:
    """The MFO's zone (``TIME_ZONE``, Asia/Almaty): staff read local times and local days."""
    return ZoneInfo(settings.TIME_ZONE)


def day_bounds(since: dt.date | None, until: dt.date | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Local whole days as aware datetimes: [since 00:00, until+1 00:00)."""
    zone = local_zone()
    start = dt.datetime.combine(since, dt.time.min, tzinfo=zone) if since else None
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=zone) if until else None
    return start, end


def _digits(query: str) -> str:
    return "".join(ch for ch in query if ch.isdigit())


# --- lists ---------------------------------------------------------------------------------------
def clients(
    query: str = "",
    *,
    kind: str = "",
    status: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[Client]:
    qs = Client.objects.order_by("-created_at", "-id")
    query = query.strip()
    if query:
        digits = _digits(query)
        match = Q(surname__icontains=query) | Q(legal_name__icontains=query) | Q(given_name__icontains=query)
        if len(digits) == 12:
            match |= Q(iin=digits) | Q(bin=digits)
        if len(digits) >= 10:
            match |= Q(phone__endswith=digits[-10:])
        qs = qs.filter(match)
    if kind in Client.Kind.values:
        qs = qs.filter(kind=kind)
    if status in Client.Status.values:
        qs = qs.filter(status=status)
    start, end = day_bounds(since, until)
    if start:
        qs = qs.filter(created_at__gte=start)
    if end:
        qs = qs.filter(created_at__lt=end)
    return qs


def _client_match(query: str, prefix: str) -> Q:
    digits = _digits(query)
    match = Q(**{f"{prefix}surname__icontains": query}) | Q(**{f"{prefix}legal_name__icontains": query})
    if len(digits) == 12:
        match |= Q(**{f"{prefix}iin": digits}) | Q(**{f"{prefix}bin": digits})
    return match


def applications(
    query: str = "",
    *,
    status: str = "",
    product: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[Application]:
    qs = Application.objects.select_related("client", "product").order_by("-created_at", "-id")
    query = query.strip().lstrip("#")
    if query:
        match = _client_match(query, "client__")
        if query.isdigit() and len(query) < 12:
            match |= Q(pk=int(query))
        qs = qs.filter(match)
    if status in Application.Status.values:
        qs = qs.filter(status=status)
    if product:
        qs = qs.filter(product__code=product)
    start, end = day_bounds(since, until)
    if start:
        qs = qs.filter(created_at__gte=start)
    if end:
        qs = qs.filter(created_at__lt=end)
    return qs


def contracts(
    query: str = "",
    *,
    status: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> QuerySet[Contract]:
    qs = Contract.objects.select_related("application__client", "application__product", "loan").order_by(
        "-created_at", "-id"
    )
    query = query.strip()
    if query:
        qs = qs.filter(Q(number__icontains=query) | _client_match(query, "application__client__"))
    if status in Contract.Status.values:
        qs = qs.filter(status=status)
    start, end = day_bounds(since, until)
    if start:
        qs = qs.filter(created_at__gte=start)
    if end:
        qs = qs.filter(created_at__lt=end)
    return qs


DEBT = (
    F("principal_current")
    + F("principal_overdue")
    + F("interest_accrued")
    + F("interest_overdue")
    + F("penalty")
    + F("fee_overdue")
    - F("advance")
)


def loans(
    query: str = "",
    *,
    status: str = "",
    bucket: int | None = None,
    product: str = "",
) -> QuerySet[Loan]:
    """Loans with ``debt_total`` (everything owed today net of the advance) computed in SQL."""
    qs = (
        Loan.objects.select_related("client", "product")
        .annotate(debt_total=Greatest(DEBT, Value(0)))
        .order_by("-id")
    )
    query = query.strip()
    if query:
        qs = qs.filter(
            Q(number__icontains=query) | Q(payment_reference=query) | _client_match(query, "client__")
        )
    if status in Loan.Status.values:
        qs = qs.filter(status=status)
    if bucket is not None:
        qs = qs.filter(status=Loan.Status.ACTIVE, dpd_bucket=bucket)
    if product:
        qs = qs.filter(product__code=product)
    return qs


def product_codes() -> list[tuple[str, str]]:
    """(code, name) of every product, once per code (the latest version's name)."""
    from qaryz.lending.models import Product

    names: dict[str, str] = {}
    for code, name in Product.objects.order_by("code", "version").values_list("code", "name"):
        names[code] = name
    return sorted(names.items(), key=lambda item: item[1])


# --- queues that have no selector in their room ------------------------------------------------
def cash_desk_waiting() -> QuerySet[Loan]:
    """The count query behind ``servicing.payouts.cash_desk_queue`` (same filter)."""
    return Loan.objects.filter(
        status=Loan.Status.AWAITING, application__disbursement_method=DisbursementMethod.CASH_DESK
    ).exclude(
        payouts__status__in=[
            Payout.Status.APPROVAL,
            Payout.Status.PENDING,
            Payout.Status.SENT,
            Payout.Status.CONFIRMED,
        ]
    )


def suspense_waiting() -> QuerySet[SuspenseItem]:
    return SuspenseItem.objects.filter(status=SuspenseItem.Status.OPEN)


# --- the client card ---------------------------------------------------------------------------
def client_history(client: Client, limit: int = 20) -> dict[str, Any]:
    """The card's history tables: one query each, newest first, ``limit`` rows."""
    from qaryz.biometrics.models import Verification
    from qaryz.correspondence.models import Thread
    from qaryz.signatures.models import SignatureVerification

    return {
        "applications": list(
            Application.objects.filter(client=client)
            .select_related("product")
            .order_by("-created_at")[:limit]
        ),
        "loans": list(
            Loan.objects.filter(client=client)
            .annotate(debt_total=Greatest(DEBT, Value(0)))
            .order_by("-id")[:limit]
        ),
        "biometrics": list(Verification.objects.filter(client=client).order_by("-created_at")[:limit]),
        "signatures": list(
            SignatureVerification.objects.filter(client=client)
            .select_related("signing_request")
            .order_by("-created_at")[:limit]
        ),
        "threads": list(Thread.objects.filter(client=client).order_by("-last_message_at")[:limit]),
    }


# --- reports -----------------------------------------------------------------------------------
def _trunc(grain: str, field: str, *, datetime_field: bool) -> Any:
    func = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}[grain]
    if datetime_field:
        return func(field, tzinfo=local_zone())
    return func(field)


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value, local_zone()).date() if timezone.is_aware(value) else value.date()
    return value


def periods(since: dt.date, until: dt.date, grain: str) -> list[dt.date]:
    """The first day of every period from ``since`` to ``until`` (weeks start on Monday)."""
    if grain == "month":
        day = since.replace(day=1)
    elif grain == "week":
        day = since - dt.timedelta(days=since.weekday())
    else:
        day = since
    out = []
    while day <= until:
        out.append(day)
        if grain == "month":
            day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        elif grain == "week":
            day += dt.timedelta(days=7)
        else:
            day += dt.timedelta(days=1)
    return out


@dataclass(frozen=True)
class Series:
    """Figures per period: ``rows`` is [(period start, {column: value})] over every period."""

    columns: tuple[str, ...]
    rows: list[tuple[dt.date, dict[str, int]]]

    def total(self, column: str) -> int:
        return sum(values[column] for _day, values in self.rows)


def _fill(
    grain_days: list[dt.date], found: dict[dt.date, dict[str, int]], columns: tuple[str, ...]
) -> Series:
    zero = dict.fromkeys(columns, 0)
    return Series(columns, [(day, {**zero, **found.get(day, {})}) for day in grain_days])


def applications_report(since: dt.date, until: dt.date, grain: str) -> Series:
    """Applications submitted and decisions taken per period (automatic and staff decisions; an
    application sent to manual review and then approved counts one review and one approval)."""
    start, end = day_bounds(since, until)
    found: dict[dt.date, dict[str, int]] = {}
    submitted = (
        Application.objects.filter(submitted_at__gte=start, submitted_at__lt=end)
        .annotate(period=_trunc(grain, "submitted_at", datetime_field=True))
        .values("period")
        .annotate(n=Count("id"))
    )
    for row in submitted:
        found.setdefault(_as_date(row["period"]), {})["submitted"] = row["n"]
    decided = (
        Decision.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(period=_trunc(grain, "created_at", datetime_field=True))
        .values("period", "outcome")
        .annotate(n=Count("id"))
    )
    for row in decided:
        found.setdefault(_as_date(row["period"]), {})[row["outcome"]] = row["n"]
    return _fill(periods(since, until, grain), found, ("submitted", "approve", "review", "decline"))


def money_report(since: dt.date, until: dt.date, grain: str) -> Series:
    """Principal disbursed (by disbursement day) and money repaid (payments by value date), tiyn."""
    found: dict[dt.date, dict[str, int]] = {}
    disbursed = (
        Loan.objects.filter(disbursed_on__gte=since, disbursed_on__lte=until)
        .annotate(period=_trunc(grain, "disbursed_on", datetime_field=False))
        .values("period")
        .annotate(total=Sum("principal"), n=Count("id"))
    )
    for row in disbursed:
        found.setdefault(_as_date(row["period"]), {}).update(disbursed=row["total"], loans=row["n"])
    repaid = (
        Payment.objects.filter(value_date__gte=since, value_date__lte=until)
        .annotate(period=_trunc(grain, "value_date", datetime_field=False))
        .values("period")
        .annotate(total=Sum("amount"), n=Count("id"))
    )
    for row in repaid:
        found.setdefault(_as_date(row["period"]), {}).update(repaid=row["total"], payments=row["n"])
    return _fill(periods(since, until, grain), found, ("disbursed", "loans", "repaid", "payments"))


@dataclass(frozen=True)
class BucketRow:
    bucket: int
    loans: int
    principal: int
    debt: int


def portfolio_by_bucket() -> list[BucketRow]:
    """Active loans grouped by their days-past-due bucket (kept by the close of business)."""
    from qaryz.servicing.close_of_day import dpd_thresholds

    rows = {
        r["dpd_bucket"]: r
        for r in Loan.objects.filter(status=Loan.Status.ACTIVE)
        .values("dpd_bucket")
        .annotate(
            n=Count("id"),
            principal=Coalesce(Sum(F("principal_current") + F("principal_overdue")), 0),
            debt=Coalesce(Sum(DEBT), 0),
        )
    }
    out = []
    for bucket in range(len(dpd_thresholds()) + 1):
        r = rows.get(bucket, {})
        out.append(BucketRow(bucket, r.get("n", 0), r.get("principal", 0), r.get("debt", 0)))
    return out


def bucket_label(bucket: int) -> str:
    from django.utils.translation import gettext as _

    from qaryz.servicing.close_of_day import dpd_thresholds

    limits = dpd_thresholds()
    if bucket == 0:
        return _("Not overdue")
    low = limits[bucket - 1]
    if bucket >= len(limits):
        return _("%(low)s days and more") % {"low": low}
    return _("%(low)s–%(high)s days") % {"low": low, "high": limits[bucket] - 1}


# --- the accountant's ledger -------------------------------------------------------------------
def ledger_journal(since: dt.date, until: dt.date) -> QuerySet[Transfer]:
    """Transfers booked from ``since`` to ``until`` (booking dates, inclusive) in posting order."""
    return (
        Transfer.objects.filter(booking_date__gte=since, booking_date__lte=until)
        .order_by("id")
        .values(
            "id",
            "booking_date",
            "value_date",
            "kind",
            "entry",
            "amount",
            "debit_id",
            "credit_id",
            "reversal_of_id",
            "loan__number",
        )
    )


@dataclass(frozen=True)
class Turnover:
    number: str
    kind: str
    channel: str
    debit: int
    credit: int


def ledger_turnover(since: dt.date, until: dt.date) -> list[Turnover]:
    """Debit and credit turnover per account over the period: two grouped sums."""
    period = Q(booking_date__gte=since, booking_date__lte=until)
    debits = dict(
        Transfer.objects.filter(period)
        .values("debit_id")
        .annotate(s=Sum("amount"))
        .values_list("debit_id", "s")
    )
    credits = dict(
        Transfer.objects.filter(period)
        .values("credit_id")
        .annotate(s=Sum("amount"))
        .values_list("credit_id", "s")
    )
    out = []
    for pk, number, kind, channel in LedgerAccount.objects.order_by("number").values_list(
        "id", "number", "kind", "channel"
    ):
        if pk in debits or pk in credits:
            out.append(Turnover(number, kind, channel, debits.get(pk, 0), credits.get(pk, 0)))
    return out


def accounts_by_id() -> dict[int, tuple[str, str, str]]:
    return {
        a: (n, k, c) for a, n, k, c in LedgerAccount.objects.values_list("id", "number", "kind", "channel")
    }


def portfolio_totals() -> dict[str, int]:
    """The accountant's dashboard: active loans, principal outstanding, debt, overdue principal."""
    agg = Loan.objects.filter(status=Loan.Status.ACTIVE).aggregate(
        loans=Count("id"),
        principal=Coalesce(Sum(F("principal_current") + F("principal_overdue")), 0),
        overdue=Coalesce(Sum("principal_overdue"), 0),
        debt=Coalesce(Sum(DEBT), 0),
    )
    return {k: int(v or 0) for k, v in agg.items()}
