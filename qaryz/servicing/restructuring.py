"""Restructuring after the first instalment (issue 10 item 6; lending's amendment path stops there).

1. ``propose_restructuring`` builds the new schedule from the loan's **actual balance** on the day:
   the principal (current + overdue) rescheduled from that day at the contract's rate, day-count
   and method; the interest accrued in the running period (to the day) is carried into the first
   new instalment. Three kinds:
   - ``new_term``: ``term_months`` instalments (up to the product's longest term);
   - ``lower_instalment``: the fewest instalments whose regular payment (principal + interest) is
     at most ``max_instalment`` tiyn, never fewer than the instalments left;
   - ``holiday``: ``holiday_months`` interest-only instalments, then the instalments left.
   Overdue interest, overdue fees and penalty must be paid first (any payment pays them first);
   overdue principal is rescheduled. Monthly fees stay on the dates the contract had them; dates
   the contract did not have carry no fee. The rate does not change, so the caps are not re-checked.
2. A supplementary agreement PDF (servicing template ``agreement_templates/restructuring.json``,
   rendered with the lending room's PDF layout) in the client's language, stored in the vault.
3. Signed exactly like the contract (``lending.signing``: fresh biometrics + EDS; an IE's business
   loan without EDS): ``start_restructuring_signing`` then ``complete_restructuring_signing``.
4. On signature (the same day it was built for, the schedule it replaces still in force) the
   overdue principal moves back to current principal, today's accrual is posted and the new
   schedule becomes version + 1 (delay state recomputed: nothing of it has fallen due).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from qaryz.lending import signing
from qaryz.lending.errors import FlowError
from qaryz.lending.schedules import (
    DayCount,
    ScheduleError,
    build_schedule,
    due_dates,
    round_money,
    year_fraction,
)
from qaryz.records.services import record_event as audit
from qaryz.records.services import store_document
from qaryz.servicing import ledger
from qaryz.servicing.amounts import to_kzt, to_tiyn
from qaryz.servicing.ledger import Leg
from qaryz.servicing.models import AccountKind, Instalment, Loan, Restructuring
from qaryz.servicing.repayments import (
    _LOAN_FIELDS,
    ScheduleRow,
    _recompute_delay,
    _terms,
    accrual_to_day,
    check_not_suspended,
    loan_reference,
    post_accrual_to_day,
    schedule_rows,
    write_rows,
)
from qaryz.servicing.services import ServicingError

TEMPLATE = Path(__file__).parent / "agreement_templates" / "restructuring.json"
MAX_HOLIDAY_MONTHS = 6


@lru_cache(maxsize=1)
def _template() -> dict:
    return json.loads(TEMPLATE.read_text(encoding="utf-8"))


def _future(loan: Loan, on: dt.date) -> list[Instalment]:
    return list(
        Instalment.objects.filter(loan=loan, version=loan.schedule_version, due_date__gt=on).order_by(
            "number"
        )
    )


def check_restructurable(loan: Loan, on: dt.date) -> None:
    """Refuses (ServicingError, translated) when the loan cannot be restructured on ``on``."""
    if loan.status != Loan.Status.ACTIVE:
        raise ServicingError(_("Only a loan being repaid can be restructured."))
    check_not_suspended(loan, on)
    first = (
        Instalment.objects.filter(loan=loan, version=1)
        .order_by("number")
        .values_list("due_date", flat=True)
        .first()
    )
    if first is None or first > on:
        raise ServicingError(_("Before the first instalment the contract is changed by an amendment."))
    if (
        loan.closed_through is None
        or loan.closed_through < on - dt.timedelta(days=1)
        or loan.closed_through > on
    ):
        raise ServicingError(
            _("A restructuring is built for today, once the previous business day is closed.")
        )
    if loan.interest_overdue or loan.fee_overdue or loan.penalty:
        raise ServicingError(_("Pay the overdue interest, fees and penalty first."))


def _interest_only(loan: Loan, principal: int, start: dt.date, end: dt.date) -> int:
    rate = Decimal(loan.annual_rate_percent) / 100
    value = Decimal(principal) / 100 * rate * year_fraction(start, end, DayCount(loan.day_count))
    return to_tiyn(round_money(value))


def build_rows(
    loan: Loan,
    on: dt.date,
    *,
    kind: str,
    term_months: int | None = None,
    holiday_months: int = 0,
    max_instalment: int | None = None,
) -> tuple[list[ScheduleRow], int]:
    """The new schedule rows (pure read) and the interest carried into the first row."""
    future = _future(loan, on)
    principal = loan.principal_current + loan.principal_overdue
    if principal <= 0:
        raise ServicingError(_("No principal is left to reschedule."))
    left = max(1, len(future))
    first_number = future[0].number if future else (loan.cur_number or 1)
    first_due = future[0].due_date if future else None
    fees = {row.due_date: row.fee - row.fee_paid for row in future}
    max_term = loan.product.max_term_months
    carried = loan.interest_accrued + accrual_to_day(loan, on)

    def build(term: int, start: dt.date, number: int, first: dt.date | None) -> list[ScheduleRow]:
        try:
            schedule = build_schedule(_terms(loan, principal, start, term, first))
        except ScheduleError as exc:
            raise ServicingError(exc.message) from None
        return schedule_rows(loan, schedule, first_number=number, fees=fees, start=start)

    if kind == Restructuring.Kind.NEW_TERM:
        if term_months is None or not 1 <= term_months <= max_term:
            raise ServicingError(
                _("The new term must be between 1 and %(max)s months.") % {"max": max_term}, "term_months"
            )
        rows = build(term_months, on, first_number, first_due)
    elif kind == Restructuring.Kind.LOWER_INSTALMENT:
        if not max_instalment or max_instalment <= 0:
            raise ServicingError(_("Enter the instalment you can pay."), "max_instalment")
        rows = []
        for term in range(left, max_term + 1):
            candidate = build(term, on, first_number, first_due)
            body = candidate[:-1] or candidate
            if all(r.principal + r.interest <= max_instalment for r in body):
                rows = candidate
                break
        if not rows:
            raise ServicingError(
                _("An instalment this low is not possible within the product's longest term."),
                "max_instalment",
            )
    elif kind == Restructuring.Kind.HOLIDAY:
        if not 1 <= holiday_months <= MAX_HOLIDAY_MONTHS:
            raise ServicingError(
                _("A payment holiday lasts 1 to %(max)s months.") % {"max": MAX_HOLIDAY_MONTHS},
                "holiday_months",
            )
        day = loan.payment_day or loan.disbursed_on.day
        min_days = (first_due - on).days if first_due and first_due > on else 0
        dates = due_dates(on, holiday_months, day, min(92, min_days))
        rows, start = [], on
        for k, due in enumerate(dates):
            rows.append(
                ScheduleRow(
                    number=first_number + k,
                    period_start=start,
                    due_date=due,
                    principal=0,
                    interest=_interest_only(loan, principal, start, due),
                    fee=fees.get(due, 0),
                    remaining_principal=principal,
                )
            )
            start = due
        rows += build(left, dates[-1], first_number + holiday_months, None)
    else:
        raise ServicingError(_("Choose how to restructure the loan."), "kind")
    first = rows[0]
    rows[0] = dataclasses.replace(first, interest=first.interest + carried)
    return rows, carried


def schedule_json(rows: list[ScheduleRow], carried: int) -> list[dict[str, Any]]:
    return [
        {
            "number": r.number,
            "period_start": r.period_start.isoformat(),
            "due_date": r.due_date.isoformat(),
            "principal": r.principal,
            "interest": r.interest,
            "fee": r.fee,
            "remaining_principal": r.remaining_principal,
            **({"carried_interest": carried} if i == 0 else {}),
        }
        for i, r in enumerate(rows)
    ]


def _rows_from_json(data: list[dict[str, Any]]) -> list[ScheduleRow]:
    return [
        ScheduleRow(
            number=d["number"],
            period_start=dt.date.fromisoformat(d["period_start"]),
            due_date=dt.date.fromisoformat(d["due_date"]),
            principal=d["principal"],
            interest=d["interest"],
            fee=d["fee"],
            remaining_principal=d["remaining_principal"],
        )
        for d in data
    ]


def _money(tiyn: int) -> str:
    return f"{to_kzt(tiyn):,.2f}".replace(",", " ") + " KZT"


def render_agreement(restructuring: Restructuring) -> bytes:
    from qaryz.core.selectors import current_mfo_profile
    from qaryz.lending.contracts import _pdf

    loan = restructuring.loan
    texts = _template()[restructuring.language]
    profile = current_mfo_profile().in_language(restructuring.language)
    from django.conf import settings

    rows = restructuring.schedule
    values = {
        "agreement_number": restructuring.number,
        "number": loan.number,
        "contract_date": timezone.localtime(loan.contract.created_at).strftime("%d.%m.%Y"),
        "date": restructuring.effective_on.strftime("%d.%m.%Y"),
        "effective_on": restructuring.effective_on.strftime("%d.%m.%Y"),
        "mfo": getattr(profile, "legal_name", "") or settings.MFO_NAME,
        "client": loan.client.display_name,
        "iin": loan.client.iin or loan.client.bin or "",
        "kind": texts["kinds"][restructuring.kind].format(holiday=restructuring.holiday_months),
        "principal": _money(restructuring.principal),
        "principal_overdue": _money(loan.principal_overdue),
        "carried_interest": _money(rows[0].get("carried_interest", 0) if rows else 0),
        "rate": Decimal(loan.annual_rate_percent).normalize(),
        "basis": loan.day_count,
        "term": len(rows),
        "total": _money(sum(r["principal"] + r["interest"] + r["fee"] for r in rows)),
    }
    schedule = {
        "instalments": [
            {
                "number": r["number"],
                "due_date": r["due_date"],
                "principal": str(to_kzt(r["principal"])),
                "interest": str(to_kzt(r["interest"])),
                "fee": str(to_kzt(r["fee"])),
                "total": str(to_kzt(r["principal"] + r["interest"] + r["fee"])),
                "remaining_principal": str(to_kzt(r["remaining_principal"])),
            }
            for r in rows
        ]
    }
    return _pdf(texts, values, schedule)


def propose_restructuring(
    loan: Loan,
    *,
    kind: str,
    term_months: int | None = None,
    holiday_months: int = 0,
    max_instalment: int | None = None,
    on: dt.date | None = None,
    actor: Any = None,
    language: str | None = None,
) -> Restructuring:
    """A draft supplementary agreement with the new schedule (shown, as PDF and rows, before
    signing). ``actor``: the client asking, or the MFO officer proposing. Nothing changes on the
    loan until it is signed."""
    from qaryz.lending.services import contract_language

    on = on or timezone.localdate()
    with transaction.atomic():
        locked = (
            Loan.objects.select_for_update().select_related("client", "product", "contract").get(pk=loan.pk)
        )
        check_restructurable(locked, on)
        if Restructuring.objects.filter(loan=locked, status=Restructuring.Status.DRAFT).exists():
            raise ServicingError(
                _("A restructuring is already waiting for signature: sign or withdraw it first.")
            )
        rows, carried = build_rows(
            locked,
            on,
            kind=kind,
            term_months=term_months,
            holiday_months=holiday_months,
            max_instalment=max_instalment,
        )
        sequence = (Restructuring.objects.filter(loan=locked).aggregate(n=Max("sequence"))["n"] or 0) + 1
        restructuring = Restructuring(
            loan=locked,
            sequence=sequence,
            number=f"{locked.number}-R{sequence}",
            kind=kind,
            term_months=len(rows),
            holiday_months=holiday_months if kind == Restructuring.Kind.HOLIDAY else 0,
            max_instalment=max_instalment or 0,
            effective_on=on,
            base_version=locked.schedule_version,
            principal=locked.principal_current + locked.principal_overdue,
            schedule=schedule_json(rows, carried),
            language=contract_language(locked.client, language or locked.contract.language),
            proposed_by=actor if getattr(actor, "is_staff", False) else None,
        )
        pdf = render_agreement(restructuring)
        restructuring.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        # The vault copy is the only one (R-3P-1): no PDF column on the row.
        restructuring.vault_document_id = str(
            store_document(
                pdf,
                media_type="application/pdf",
                kind="loan_restructuring_draft",
                direction="outbound",
                owner=locked.client,
                filename=f"{restructuring.number}.pdf",
                channel="servicing",
                reference=loan_reference(locked),
            ).pk
        )
        restructuring.save()
        audit(
            "servicing.restructuring_prepared",
            actor=actor or locked.client,
            target=restructuring,
            data={
                "loan": locked.number,
                "number": restructuring.number,
                "kind": kind,
                "term_months": restructuring.term_months,
                "holiday_months": restructuring.holiday_months,
                "principal": restructuring.principal,
                "sha256": restructuring.pdf_sha256,
            },
        )
    return restructuring


def _draft(restructuring: Restructuring) -> Restructuring:
    locked = Restructuring.objects.select_for_update().select_related("loan__client").get(pk=restructuring.pk)
    if locked.status != Restructuring.Status.DRAFT:
        raise FlowError(_("This restructuring is no longer waiting for signature."))
    return locked


@transaction.atomic
def start_restructuring_signing(restructuring: Restructuring) -> str:
    """The EDS signing request over the agreement's exact PDF ("" for an IE's business loan)."""
    locked = _draft(restructuring)
    request_id = signing.signing_request_id(
        locked, locked.loan.client, title=f"Дополнительное соглашение {locked.number}"
    )
    restructuring.signing_request_id = request_id
    return request_id


def complete_restructuring_signing(restructuring: Restructuring) -> Restructuring:
    """Signed with fresh biometrics and the EDS (R-SIGN-1), like the contract; the new schedule
    takes effect at once. Refused (FlowError) when out of date: another day, or the schedule it
    replaces changed meanwhile (a payment of overdue principal, an early repayment). The
    antifraud check runs first, outside the signing's transaction so its records stay (R-AF-1):
    a hold suspends the signing until a security officer decides, a decline blocks it."""
    if restructuring.status == Restructuring.Status.DRAFT:
        from qaryz.lending.services import antifraud

        client = Loan.objects.select_related("client").get(pk=restructuring.loan_id).client
        antifraud("restructuring", client, f"restructuring:{restructuring.pk}")
    return _complete_restructuring_signing(restructuring)


@transaction.atomic
def _complete_restructuring_signing(restructuring: Restructuring) -> Restructuring:
    locked = _draft(restructuring)
    loan = Loan.objects.select_for_update().get(pk=locked.loan_id)
    today = timezone.localdate()
    if (
        today != locked.effective_on
        or loan.schedule_version != locked.base_version
        or loan.principal_current + loan.principal_overdue != locked.principal
    ):
        raise FlowError(_("This restructuring is out of date: withdraw it and ask again."))
    try:
        check_restructurable(loan, today)
    except ServicingError as exc:
        raise FlowError(exc.message) from None
    signing.seal(locked, loan.client, kind="restructuring")
    _apply(loan, locked, today)
    restructuring.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    return locked


def _apply(loan: Loan, restructuring: Restructuring, on: dt.date) -> None:
    post_accrual_to_day(loan, on)
    ledger.post(
        loan,
        [Leg(AccountKind.PRINCIPAL_CURRENT, AccountKind.PRINCIPAL_OVERDUE, loan.principal_overdue)],
        key=f"rst:{restructuring.pk}",
        kind="restructuring",
        value_date=on,
    )
    rows = _rows_from_json(restructuring.schedule)
    carried = restructuring.schedule[0].get("carried_interest", 0)
    if carried != loan.interest_accrued:  # cannot happen the same day under the lock: never guess
        raise FlowError(_("This restructuring is out of date: withdraw it and ask again."))
    write_rows(loan, rows, version=loan.schedule_version + 1)
    loan.cur_interest = rows[0].interest - carried  # the carried interest has accrued already
    _recompute_delay(loan)
    loan.save(update_fields=_LOAN_FIELDS)
    audit(
        "servicing.restructuring_applied",
        actor=loan.client,
        target=loan,
        data={
            "number": restructuring.number,
            "schedule_version": loan.schedule_version,
            "on": on.isoformat(),
        },
    )


@transaction.atomic
def withdraw_restructuring(restructuring: Restructuring, *, actor: Any = None) -> Restructuring:
    locked = _draft(restructuring)
    locked.status = Restructuring.Status.WITHDRAWN
    locked.withdrawn_at = timezone.now()
    locked.save(update_fields=["status", "withdrawn_at"])
    audit(
        "servicing.restructuring_withdrawn",
        actor=actor or locked.loan.client,
        target=locked,
        data={"number": locked.number},
    )
    restructuring.status, restructuring.withdrawn_at = locked.status, locked.withdrawn_at
    return locked
