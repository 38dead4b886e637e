"""The close of business day in set-based SQL (PostgreSQL and SQLite), docs/servicing.md.

Work is split by loan-id range into chunks; each (chunk, day) is ONE transaction of a handful of
statements over all the loans of the chunk – there is no Python loop over loans. A ``kill -9``
rolls back only the open chunk; a rerun finds the loans of the committed chunks already closed
through the day (``Loan.closed_through``) and does the rest, so it ends with exactly the ledger of
an uninterrupted run. A missed day is caught up by looping over DAYS, from the earliest
``closed_through`` + 1 to the target date.

Steps of day D in a chunk (loans ``active`` with ``closed_through = D - 1``):

1. one UPDATE of the loan rows: the day's interest accrual (cumulative rounding of
   ``amounts.accrued_after``), the day's penalty within the per-day rate and the loan-year cap
   (``amounts.penalty_for_day``), the delay state (days past due, bucket) and
   ``closed_through = D``; then one INSERT … SELECT each of the accrual and penalty transfers;
2. instalments falling due on D are staged in a temporary table: the advance pays them (in the
   contract's order), the rest moves to overdue; transfers, instalments and loans are updated from
   the staging table; the loan's accruing instalment moves to the next row of its schedule;
3. a loan that newly fell into delay gets ``overdue_since = D + 1`` and its delay notice queued;
4. loans paid in full are closed (a remaining advance becomes a refund payable).

After each day (all chunks), the few loans closed on D start their documents' retention clock
(``set_obligations_end``: a loop over the loans CLOSED that day only) and the ``BusinessDay`` row
is finished. After the run a job sends the queued delay notices.

The integer rounding ``(2·a·k + n) / (2·n)`` is ``amounts.round_div``: Python and SQL give the same
tiyn (tested).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from qaryz.servicing.models import BusinessDay, Loan

DEFAULT_CHUNK = 50_000
# A test hook (the kill -9 test): after the first chunk committed, the next chunk stalls inside
# its open transaction and the path named here is created, so that the test can SIGKILL there.
STALL_ENV = "QARYZ_COB_TEST_STALL"


# --- dialect helpers -------------------------------------------------------------------------


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _date(day: dt.date) -> str:
    """A date literal (dates come from Python ``date`` objects only, never from user text)."""
    if not isinstance(day, dt.date):
        raise TypeError("a date is required")
    return f"DATE '{day.isoformat()}'" if _pg() else f"'{day.isoformat()}'"


def _days(later: str, earlier: str) -> str:
    """Whole days from ``earlier`` to ``later`` (SQL date expressions)."""
    if _pg():
        return f"({later} - {earlier})"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def _least(*items: str) -> str:
    return f"{'LEAST' if _pg() else 'MIN'}({', '.join(items)})"


def _greatest(*items: str) -> str:
    return f"{'GREATEST' if _pg() else 'MAX'}({', '.join(items)})"


def _add_year(column: str) -> str:
    """The same day a year later; 29 February becomes 28 February (as ``services._add_year``)."""
    if _pg():
        return f"CAST({column} + INTERVAL '1 year' AS date)"  # PostgreSQL clamps 29.02 to 28.02
    return (
        f"(CASE WHEN strftime('%m-%d', {column}) = '02-29' THEN date({column}, '-1 day', '+1 year')"
        f" ELSE date({column}, '+1 year') END)"
    )


def _position(needle: str, haystack: str) -> str:
    """1-based position of a literal in a text (0 if absent)."""
    if _pg():
        return f"strpos(CAST({haystack} AS text), '{needle}')"
    return f"instr({haystack}, '{needle}')"


def round_div_sql(numerator: str, denominator: str) -> str:
    """``amounts.round_div`` in SQL: integer division of integers on both databases."""
    return f"((2 * ({numerator}) + ({denominator})) / (2 * ({denominator})))"


def _true() -> str:
    return "true" if _pg() else "1"


def _false() -> str:
    return "false" if _pg() else "0"


def dpd_thresholds() -> list[int]:
    """``QARYZ_SERVICING_DPD_BUCKETS``: bucket = number of thresholds <= days past due."""
    raw = getattr(settings, "QARYZ_SERVICING_DPD_BUCKETS", "1,31,61,91")
    values = sorted({int(part) for part in str(raw).split(",") if part.strip()})
    if any(value < 1 for value in values):
        raise ValueError("QARYZ_SERVICING_DPD_BUCKETS: thresholds are days past due, at least 1")
    return values


def bucket_of(dpd: int, thresholds: list[int] | None = None) -> int:
    return sum(1 for t in (thresholds or dpd_thresholds()) if dpd >= t)


# --- one chunk of one day -------------------------------------------------------------------

TRANSFER_COLUMNS = "key, kind, entry, loan_id, debit_id, credit_id, amount, value_date, booking_date"


def _account(alias: str, product: str, kind: str) -> str:
    return (
        f"JOIN servicing_ledgeraccount {alias} ON {alias}.product_id = {product} AND {alias}.kind = '{kind}'"
    )


def _account_case(product: str, kind: str) -> str:
    """The account of ``kind`` of the row's product as a CASE over the products' account ids."""
    from qaryz.servicing.models import LedgerAccount

    ids = LedgerAccount.objects.filter(kind=kind, product__isnull=False).values_list("product_id", "id")
    branches = " ".join(f"WHEN {int(p)} THEN {int(a)}" for p, a in ids)
    return f"(CASE {product} {branches} END)" if branches else "NULL"


def _ensure_staging(cursor) -> None:
    """Per-session temporary tables (not WAL-logged on PostgreSQL), emptied per chunk."""
    cursor.execute(
        "CREATE TEMPORARY TABLE IF NOT EXISTS cob_due ("
        " loan_id bigint NOT NULL, product_id bigint NOT NULL, instalment_id bigint NOT NULL,"
        " number integer NOT NULL, pay_interest bigint NOT NULL, pay_fee bigint NOT NULL,"
        " pay_principal bigint NOT NULL, od_interest bigint NOT NULL, od_fee bigint NOT NULL,"
        " od_principal bigint NOT NULL)"
    )
    cursor.execute(
        "CREATE TEMPORARY TABLE IF NOT EXISTS cob_close ("
        " loan_id bigint NOT NULL, product_id bigint NOT NULL, advance bigint NOT NULL)"
    )
    cursor.execute("DELETE FROM cob_due")
    cursor.execute("DELETE FROM cob_close")


@dataclass
class ChunkResult:
    loans: int = 0
    figures: dict[str, int] = field(default_factory=dict)


def close_chunk(day: dt.date, first_id: int, last_id: int, *, booking_date: dt.date) -> ChunkResult:
    """Close ``day`` for the loans with ids in [first_id, last_id] (one transaction)."""
    with transaction.atomic():
        result = _close_chunk(day, first_id, last_id, booking_date)
        if result.loans:
            _add_to_business_day(day, result)
    return result


def _close_chunk(day: dt.date, lo: int, hi: int, booking_date: dt.date) -> ChunkResult:
    d = _date(day)
    prev = _date(day - dt.timedelta(days=1))
    next_day = _date(day + dt.timedelta(days=1))
    booked = _date(booking_date)
    iso = day.isoformat()
    t, f = _true(), _false()
    rng = f"id BETWEEN {int(lo)} AND {int(hi)}"
    result = ChunkResult()
    with connection.cursor() as raw:
        cursor = _Timed(raw)
        # 0. suspended loans (a fraud-victim case, Rules §13): nothing accrues, nothing falls due or
        # moves to overdue; only the day is marked closed so that catch-up and resumption work.
        cursor.execute(
            f"UPDATE servicing_loan SET closed_through = {d}"  # noqa: S608  # nosec B608
            f" WHERE {rng} AND status = 'active' AND closed_through = {prev}"
            f" AND suspended_from IS NOT NULL AND suspended_from <= {d}"
        )
        suspended = cursor.rowcount
        active = f"l.status = 'active' AND (l.suspended_from IS NULL OR l.suspended_from > {d})"
        # 1. accrual + penalty + delay state, one UPDATE of the chunk's loans.
        n = _days("cur_due", "cur_start")
        k_now = _greatest("0", _least(_days(d, "cur_start"), n))
        k_before = _greatest("0", _least(_days("COALESCE(accrued_through, cur_start)", "cur_start"), n))
        accrual = (
            f"(CASE WHEN cur_due IS NULL OR accrued_through >= {d} THEN 0 ELSE "
            f"{round_div_sql(f'cur_interest * {k_now}', n)} - {round_div_sql(f'cur_interest * {k_before}', n)} END)"
        )
        overdue = "(principal_overdue + interest_overdue + fee_overdue > 0)"
        in_delay = f"(overdue_since IS NOT NULL AND overdue_since <= {d} AND {overdue})"
        reset = f"(penalty_year_end IS NOT NULL AND {d} >= penalty_year_end)"
        year_accrued = f"(CASE WHEN {reset} THEN 0 ELSE penalty_year_accrued END)"
        days_late = f"({_days(d, 'overdue_since')} + 1)"
        ppm = f"(CASE WHEN {days_late} <= penalty_high_days THEN penalty_ppm_high ELSE penalty_ppm_after END)"
        penalty = (
            f"(CASE WHEN {in_delay} AND (penalty_through IS NULL OR penalty_through < {d}) THEN "
            f"{_least(round_div_sql(f'(principal_overdue + interest_overdue) * {ppm}', '1000000'), f'penalty_year_cap - {year_accrued}')}"
            " ELSE 0 END)"
        )
        bucket = (
            " + ".join(
                f"(CASE WHEN {in_delay} AND overdue_since <= {_date(day - dt.timedelta(days=th - 1))} THEN 1 ELSE 0 END)"
                for th in dpd_thresholds()
            )
            or "0"
        )
        update = (
            "UPDATE servicing_loan SET"  # noqa: S608  # nosec B608 – literals from Python dates and ints
            f" last_accrual = {accrual},"
            f" interest_accrued = interest_accrued + {accrual},"
            f" last_penalty = {penalty},"
            f" penalty = penalty + {penalty},"
            f" penalty_year_accrued = {year_accrued} + {penalty},"
            f" penalty_year_end = CASE WHEN {reset} THEN {_add_year('penalty_year_end')} ELSE penalty_year_end END,"
            f" penalty_through = {d},"
            f" accrued_through = {_greatest('accrued_through', d)},"
            f" overdue_since = CASE WHEN {overdue} THEN overdue_since ELSE NULL END,"
            f" days_past_due = CASE WHEN {in_delay} THEN {days_late} ELSE 0 END,"
            f" dpd_bucket = {bucket},"
            f" closed_through = {d}"
            f" WHERE {rng} AND status = 'active' AND closed_through = {prev}"
        )
        # The day's accrual and penalty transfers (leg 1 / leg 2); the accounts are constants per
        # product (a CASE over the few products), no join.
        legs = [
            ("accr", "accrual", "interest_accrued", "interest_income", "last_accrual", "accrued_through"),
            ("pen", "penalty", "penalty", "penalty_income", "last_penalty", "penalty_through"),
        ]

        def transfers_from(alias: str) -> str:
            return " UNION ALL ".join(
                f"SELECT '{prefix}:' || {alias}.id || ':{iso}:1', '{kind}', '{prefix}:' || {alias}.id || ':{iso}',"  # noqa: S608  # nosec B608
                f" {alias}.id, {_account_case(f'{alias}.product_id', debit)},"
                f" {_account_case(f'{alias}.product_id', credit)}, {alias}.{column}, {d}, {booked}"
                f" FROM {{source}} WHERE {alias}.{column} > 0 AND {alias}.{through} = {d}"
                for prefix, kind, debit, credit, column, through in legs
            )

        if _pg():
            # One statement: the loans updated, and the transfers of exactly those rows (RETURNING),
            # so no second pass over the chunk and no conflict check per row.
            cursor.execute(
                f"WITH u AS ({update} RETURNING id, product_id, last_accrual, last_penalty, accrued_through, penalty_through),"  # noqa: S608  # nosec B608
                f" t AS (INSERT INTO servicing_transfer ({TRANSFER_COLUMNS}) {transfers_from('u').format(source='u')}"
                " RETURNING 1) SELECT (SELECT COUNT(*) FROM u), (SELECT COUNT(*) FROM t)"
            )
            updated = cursor.fetchone()[0]
        else:
            cursor.execute(update)
            updated = cursor.rowcount
            # ON CONFLICT: a loan closed through D by an earlier run (a catch-up that started from
            # another loan's day) still matches here and its day-D transfers exist already; its
            # balances were not touched above.
            rows = (
                f"(SELECT * FROM servicing_loan WHERE {rng} AND status = 'active'"  # noqa: S608  # nosec B608
                f" AND (suspended_from IS NULL OR suspended_from > {d}) AND closed_through = {d}) l"
            )
            cursor.execute(
                f"INSERT INTO servicing_transfer ({TRANSFER_COLUMNS})"  # noqa: S608  # nosec B608
                f" SELECT * FROM ({transfers_from('l').format(source=rows)}) legs WHERE true ON CONFLICT DO NOTHING"
            )
        result.loans = updated + suspended
        result.figures["suspended"] = suspended
        if not updated:
            return result
        _stall_for_test()

        # 2. instalments falling due on D, staged.
        _ensure_staging(cursor)
        interest_first = (
            f"({_position('current_interest', 'l.allocation_order')} = 0"
            f" OR {_position('current_principal', 'l.allocation_order')} = 0"
            f" OR {_position('current_interest', 'l.allocation_order')}"
            f" < {_position('current_principal', 'l.allocation_order')})"
        )
        cursor.execute(
            "INSERT INTO cob_due (loan_id, product_id, instalment_id, number, pay_interest, pay_fee,"  # noqa: S608  # nosec B608
            " pay_principal, od_interest, od_fee, od_principal)"
            " SELECT loan_id, product_id, instalment_id, number, pi, pf, pp, ui - pi, uf - pf, up - pp FROM ("
            " SELECT loan_id, product_id, instalment_id, number, ui, uf, up,"
            f" CASE WHEN ifirst THEN {_least('adv', 'ui')} ELSE {_least(_greatest('adv - up', '0'), 'ui')} END AS pi,"
            f" CASE WHEN ifirst THEN {_least(_greatest('adv - ui', '0'), 'uf')}"
            f" ELSE {_least(_greatest('adv - up - ui', '0'), 'uf')} END AS pf,"
            f" CASE WHEN ifirst THEN {_least(_greatest('adv - ui - uf', '0'), 'up')} ELSE {_least('adv', 'up')} END AS pp"
            " FROM ("
            " SELECT i.loan_id, l.product_id, i.id AS instalment_id, i.number,"
            " i.interest - i.interest_paid AS ui, i.fee - i.fee_paid AS uf, i.principal - i.principal_paid AS up,"
            f" l.advance AS adv, {interest_first} AS ifirst"
            " FROM servicing_loan l JOIN servicing_instalment i"
            " ON i.loan_id = l.id AND i.version = l.schedule_version"
            f" WHERE l.{rng} AND {active} AND l.closed_through = {d}"
            f" AND i.due_date = {d} AND i.fell_due = {f}) raw) paid"
        )
        if _pg():
            cursor.execute("ANALYZE cob_due")  # a temporary table has no statistics: join it by index
        cursor.execute("SELECT COUNT(*), COUNT(DISTINCT loan_id) FROM cob_due")
        falling, falling_loans = cursor.fetchone()
        if falling != falling_loans:
            raise RuntimeError(f"{day}: a loan has two instalments due on the same day")
        result.figures["fell_due"] = falling
        if falling:
            legs = [
                (1, "pay_interest", "advance", "interest_accrued"),
                (2, "pay_fee", "advance", "fee_income"),
                (3, "pay_principal", "advance", "principal_current"),
                (4, "od_interest", "interest_overdue", "interest_accrued"),
                (5, "od_fee", "fee_overdue", "fee_income"),
                (6, "od_principal", "principal_overdue", "principal_current"),
            ]
            selects = " UNION ALL ".join(
                f"SELECT"  # noqa: S608  # nosec B608
                f" 'due:' || s.instalment_id || ':{leg}', 'falling_due', 'due:' || s.instalment_id,"
                f" s.loan_id, da.id, ca.id, s.{column}, {d}, {booked} FROM cob_due s"
                f" {_account('da', 's.product_id', debit)} {_account('ca', 's.product_id', credit)}"
                f" WHERE s.{column} > 0"
                for leg, column, debit, credit in legs
            )
            cursor.execute(
                f"INSERT INTO servicing_transfer ({TRANSFER_COLUMNS}) SELECT * FROM ({selects}) legs"  # noqa: S608  # nosec B608
                " WHERE true ON CONFLICT (key) DO NOTHING"
            )
            cursor.execute(
                "UPDATE servicing_instalment SET"  # noqa: S608  # nosec B608
                " interest_paid = interest_paid + s.pay_interest, fee_paid = fee_paid + s.pay_fee,"
                f" principal_paid = principal_paid + s.pay_principal, fell_due = {t},"
                f" paid_on = CASE WHEN s.od_interest + s.od_fee + s.od_principal = 0 THEN {d} ELSE NULL END"
                " FROM cob_due s WHERE servicing_instalment.id = s.instalment_id"
            )
            nxt = (
                "(SELECT n.{col} FROM servicing_instalment n WHERE n.loan_id = servicing_loan.id"
                " AND n.version = servicing_loan.schedule_version AND n.number = s.number + 1)"
            )
            cursor.execute(
                "UPDATE servicing_loan SET"  # noqa: S608  # nosec B608
                " advance = advance - s.pay_interest - s.pay_fee - s.pay_principal,"
                " principal_current = principal_current - s.pay_principal - s.od_principal,"
                " principal_overdue = principal_overdue + s.od_principal,"
                " interest_accrued = interest_accrued - s.pay_interest - s.od_interest,"
                " interest_overdue = interest_overdue + s.od_interest,"
                " fee_overdue = fee_overdue + s.od_fee,"
                " overdue_since = CASE WHEN overdue_since IS NULL AND s.od_interest + s.od_fee + s.od_principal > 0"
                f" THEN {next_day} ELSE overdue_since END,"
                f" cur_number = {nxt.format(col='number')},"
                f" cur_start = {nxt.format(col='period_start')},"
                f" cur_due = {nxt.format(col='due_date')},"
                f" cur_interest = COALESCE({nxt.format(col='interest - n.interest_paid')}, 0)"
                " FROM cob_due s WHERE servicing_loan.id = s.loan_id"
            )
            # 3. the delay notice of a delay starting tomorrow (within 10 calendar days of it).
            from qaryz.collections.services import notice_deadline  # the policy in force

            cursor.execute(
                "INSERT INTO servicing_delaynotice (loan_id, overdue_since, deadline, status)"  # noqa: S608  # nosec B608
                f" SELECT l.id, l.overdue_since, {_date(notice_deadline(day + dt.timedelta(days=1)))}, 'queued'"
                " FROM servicing_loan l JOIN cob_due s ON s.loan_id = l.id"
                f" WHERE l.overdue_since = {next_day} ON CONFLICT (loan_id, overdue_since) DO NOTHING"
            )
            result.figures["notices"] = cursor.rowcount
            cursor.execute(
                "SELECT COALESCE(SUM(od_interest + od_fee + od_principal), 0),"
                " COALESCE(SUM(pay_interest + pay_fee + pay_principal), 0) FROM cob_due"
            )
            result.figures["moved_to_overdue"], result.figures["paid_from_advance"] = cursor.fetchone()

        # 4. loans paid in full: closed; a remaining advance becomes a refund payable.
        cursor.execute(
            "INSERT INTO cob_close (loan_id, product_id, advance)"  # noqa: S608  # nosec B608
            " SELECT l.id, l.product_id, l.advance FROM servicing_loan l"
            f" WHERE l.{rng} AND {active} AND l.closed_through = {d}"
            " AND l.principal_current = 0 AND l.principal_overdue = 0 AND l.interest_accrued = 0"
            " AND l.interest_overdue = 0 AND l.penalty = 0 AND l.fee_overdue = 0"
            " AND NOT EXISTS (SELECT 1 FROM servicing_instalment i WHERE i.loan_id = l.id"
            f" AND i.version = l.schedule_version AND i.fell_due = {f}"
            " AND i.principal + i.interest + i.fee > i.principal_paid + i.interest_paid + i.fee_paid)"
        )
        result.figures["closed"] = cursor.rowcount
        if result.figures["closed"]:
            cursor.execute(
                f"INSERT INTO servicing_transfer ({TRANSFER_COLUMNS})"  # noqa: S608  # nosec B608
                " SELECT 'close:' || s.loan_id || ':1', 'refund', 'close:' || s.loan_id, s.loan_id,"
                f" da.id, ca.id, s.advance, {d}, {booked} FROM cob_close s"
                f" {_account('da', 's.product_id', 'advance')} {_account('ca', 's.product_id', 'refund_payable')}"
                " WHERE s.advance > 0 ON CONFLICT (key) DO NOTHING"
            )
            cursor.execute(
                "UPDATE servicing_loan SET status = 'closed',"  # noqa: S608  # nosec B608
                f" closed_on = {d}, refund_payable = refund_payable + advance, advance = 0,"
                " cur_number = NULL, cur_start = NULL, cur_due = NULL, cur_interest = 0"
                " WHERE id IN (SELECT loan_id FROM cob_close)"
            )

        cursor.execute(
            f"SELECT COALESCE(SUM(CASE WHEN accrued_through = {d} THEN last_accrual ELSE 0 END), 0),"  # noqa: S608  # nosec B608
            " COALESCE(SUM(last_penalty), 0), COALESCE(SUM(CASE WHEN days_past_due > 0 THEN 1 ELSE 0 END), 0)"
            f" FROM servicing_loan WHERE {rng} AND closed_through = {d} AND penalty_through = {d}"
        )
        result.figures["interest"], result.figures["penalty"], result.figures["in_delay"] = cursor.fetchone()
    result.figures = {k: int(v) for k, v in result.figures.items()}
    return result


# Seconds spent per kind of statement in this process (``close_business_day -v 2`` prints them).
TIMINGS: dict[str, float] = {}


class _Timed:
    def __init__(self, cursor) -> None:
        self._cursor = cursor

    def execute(self, sql: str, params=None):
        started = time.perf_counter()
        try:
            return self._cursor.execute(sql, params)
        finally:
            label = " ".join(sql.split()[:4])[:48]
            TIMINGS[label] = TIMINGS.get(label, 0.0) + time.perf_counter() - started

    def __getattr__(self, name: str):
        return getattr(self._cursor, name)


_stalled = {"chunks": 0}


def _stall_for_test() -> None:
    path = os.environ.get(STALL_ENV)
    if not path:
        return
    _stalled["chunks"] += 1
    if _stalled["chunks"] == 2:  # the first chunk has committed; this one is open
        with open(path, "w") as marker:
            marker.write(str(os.getpid()))
        time.sleep(120)


def _add_to_business_day(day: dt.date, result: ChunkResult) -> None:
    """Add a chunk's figures to the day's row (locked for the few statements until commit)."""
    row, _ = BusinessDay.objects.get_or_create(date=day, defaults={"started_at": timezone.now()})
    row = BusinessDay.objects.select_for_update().get(pk=row.pk)
    row.loans += result.loans
    figures = dict(row.figures)
    for key, value in result.figures.items():
        figures[key] = figures.get(key, 0) + value
    figures["chunks"] = figures.get("chunks", 0) + 1
    row.figures = figures
    row.save(update_fields=["loans", "figures"])


# --- days and chunks ---------------------------------------------------------------------------


def default_date() -> dt.date:
    """The business day closed by a run without ``--date``: yesterday (the nightly run after
    midnight closes the day that just ended)."""
    return timezone.localdate() - dt.timedelta(days=1)


def chunk_size() -> int:
    return int(getattr(settings, "QARYZ_COB_CHUNK", DEFAULT_CHUNK))


def pending_days(target: dt.date) -> list[dt.date]:
    """Days to close: from the earliest ``closed_through`` + 1 of the active loans to ``target``."""
    earliest = (
        Loan.objects.filter(status=Loan.Status.ACTIVE, closed_through__lt=target)
        .order_by("closed_through")
        .values_list("closed_through", flat=True)
        .first()
    )
    if earliest is None:
        return []
    days = (target - earliest).days
    return [earliest + dt.timedelta(days=i) for i in range(1, days + 1)]


def chunks(size: int | None = None) -> list[tuple[int, int]]:
    """Loan-id ranges of at most ``size`` ids covering the active loans."""
    size = size or chunk_size()
    bounds = Loan.objects.filter(status=Loan.Status.ACTIVE).order_by("id").values_list("id", flat=True)
    first = bounds.first()
    last = Loan.objects.filter(status=Loan.Status.ACTIVE).order_by("-id").values_list("id", flat=True).first()
    if first is None or last is None:
        return []
    return [(lo, min(lo + size - 1, last)) for lo in range(first, last + 1, size)]


def _start_day(day: dt.date) -> BusinessDay:
    row, _ = BusinessDay.objects.get_or_create(date=day, defaults={"started_at": timezone.now()})
    return row


def finish_day(day: dt.date) -> BusinessDay:
    """After every chunk of ``day``: the retention clock and the closing letter of the loans closed
    that day (a loop over the few CLOSED loans, not over the portfolio; idempotent), the day's row
    finished."""
    for loan in Loan.objects.filter(status=Loan.Status.CLOSED, closed_on=day).select_related("contract"):
        start_retention_clock(loan, day)
    from qaryz.collections.services import send_closing_letters

    send_closing_letters(day)  # the client is told in writing (once per loan)
    from qaryz.records.services import record_event

    with transaction.atomic():
        row = BusinessDay.objects.select_for_update().get(pk=_start_day(day).pk)
        first = row.finished_at is None
        row.finished_at = timezone.now()
        row.save(update_fields=["finished_at"])
        record_event(
            "servicing.business_day_closed" if first else "servicing.business_day_rerun",
            actor="system",
            target=row,
            data={"date": day.isoformat(), "loans": row.loans, "figures": row.figures},
        )
    return row


def start_retention_clock(loan: Loan, day: dt.date) -> None:
    """R-ARCH-1: the documents of a repaid loan are kept for 5 years from ``day``: the contract's
    (by reference and the vault documents of the contract and its amendments) and, when the client
    has no live loan left, the client's own (registration, identification)."""
    from qaryz.records.models import StoredDocument
    from qaryz.records.services import set_obligations_end

    contract = loan.contract
    set_obligations_end(f"lending.contract:{contract.pk}", day)
    ids = [contract.vault_document_id, *contract.amendments.values_list("vault_document_id", flat=True)]
    for document in StoredDocument.objects.filter(pk__in=[i for i in ids if i]):
        set_obligations_end(document, day)
    live = Loan.objects.filter(
        client_id=loan.client_id, status__in=[Loan.Status.AWAITING, Loan.Status.ACTIVE]
    )
    if not live.exists():
        set_obligations_end(loan.client, day)


Progress = Callable[[int, int], None]


def plan(target: dt.date, size: int | None = None) -> Iterator[tuple[dt.date, list[tuple[int, int]]]]:
    for day in pending_days(target):
        yield day, chunks(size)


def run(
    target: dt.date | None = None,
    *,
    size: int | None = None,
    progress: Progress | None = None,
    booking_date: dt.date | None = None,
    send_notices: bool = True,
) -> list[BusinessDay]:
    """Close every pending day up to ``target`` in this process. Returns the days' rows."""
    target = target or default_date()
    booking_date = booking_date or timezone.localdate()
    days = pending_days(target)
    work = [(day, chunk) for day in days for chunk in chunks(size)]
    done_rows: list[BusinessDay] = []
    done = 0
    total = len(work)
    for day in days:
        _start_day(day)
        for lo, hi in chunks(size):
            close_chunk(day, lo, hi, booking_date=booking_date)
            done += 1
            if progress:
                progress(done, total)
        done_rows.append(finish_day(day))
    if done_rows and send_notices:
        enqueue_notices()
    return done_rows


def enqueue_notices() -> None:
    from qaryz.servicing.tasks import send_delay_notices

    transaction.on_commit(lambda: send_delay_notices.enqueue())


# --- production: chunks as Celery jobs ------------------------------------------------------


def run_distributed(
    target: dt.date | None = None,
    *,
    size: int | None = None,
    progress: Progress | None = None,
    timeout: float = 3600,
    poll: float = 0.5,
    send_notices: bool = True,
) -> list[BusinessDay]:
    """Fan the chunks of each pending day out as jobs (Celery workers in production), wait until
    every active loan is closed through the day, then finish it. Day by day: a day's chunks need
    the previous day closed."""
    from qaryz.servicing.tasks import close_chunk_job

    target = target or default_date()
    booking_date = timezone.localdate()
    job = close_chunk_job.using(queue_name=getattr(settings, "QARYZ_COB_QUEUE", "default"))
    rows = []
    for day in pending_days(target):
        _start_day(day)
        parts = chunks(size)
        for lo, hi in parts:
            job.enqueue(day.isoformat(), lo, hi, booking_date.isoformat())
        deadline = time.monotonic() + timeout
        while True:
            left = Loan.objects.filter(
                status=Loan.Status.ACTIVE, closed_through=day - dt.timedelta(days=1)
            ).count()
            if progress:
                progress(max(0, len(parts) - _ceil_div(left, size or chunk_size())), len(parts))
            if left == 0:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{day}: {left} loans not closed by the workers")
            time.sleep(poll)
        rows.append(finish_day(day))
    if rows and send_notices:
        enqueue_notices()
    return rows


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def text_progress(stream=None) -> Progress | None:
    """A progress bar on a terminal (tqdm when installed), nothing otherwise."""
    stream = stream or sys.stderr
    if not stream.isatty():
        return None
    try:
        from tqdm import tqdm  # type: ignore[import-untyped]
    except ImportError:
        tqdm = None
    if tqdm is not None:
        bar = tqdm(total=0, unit="chunk", file=stream)

        def update_tqdm(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        return update_tqdm

    def update(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            stream.write("\n")
        stream.flush()

    return update
