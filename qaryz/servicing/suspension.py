"""Suspension of a loan and its resumption (Rules §13, R-FRAUD-2, R-FRAUD-3).

While ``Loan.suspended_from`` is set the close of business books nothing for the loan from that
date (step 0 of ``close_of_day``: no accrual, no penalty, nothing falls due) but marks the days
closed. ``resume_loan`` ends the suspension on the first day not yet closed (R):

- **the schedule moves by the suspension's length** L = R − suspended_from (calendar days): a new
  schedule version copies every row; the rows that had not fallen due (the accruing one and all
  later ones) get ``period_start + L`` and ``due_date + L``. The accruing instalment keeps its
  place in its period (``accrued_through + L``), so the daily accrual continues as if no day had
  passed. Nothing falls due on resumption, no delay starts from it; the term is L days longer.
- **back-accrual** (R-FRAUD-3, only where the case decides it): the interest of the L suspended
  days at the running period's daily accrual, ``round(cur_interest · L / period days)``, posted as
  an accrual (``susp:<key>:accr``) and added to the accruing instalment's interest in the new
  version (``cur_interest`` stays what is left to accrue, as restructuring carries interest). Without
  back-accrual the suspended days bear no interest: the client pays the schedule's interest, later.
- instalments that had fallen due before the suspension keep their dates; their delay goes on
  (days past due count calendar days), and no penalty was charged for the suspended days.

Both functions take the loan's row lock and are idempotent (a loan not suspended is not resumed
again; a suspended one is not suspended again).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qaryz.records.services import record_event as audit
from qaryz.servicing import ledger
from qaryz.servicing.amounts import round_div
from qaryz.servicing.ledger import Leg
from qaryz.servicing.models import AccountKind, Instalment, Loan
from qaryz.servicing.services import ServicingError

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Resumption:
    loan_id: int
    resumed_on: dt.date  # the first day accruing again
    suspended_days: int  # L: how far the schedule moved
    back_accrued: int  # tiyn of interest for the suspended days (0 without back-accrual)
    schedule_version: int
    done_before: bool = False


def first_open_day(loan: Loan) -> dt.date:
    """The first business day the close of business has not closed for ``loan``."""
    return (loan.closed_through or timezone.localdate() - ONE_DAY) + ONE_DAY


def suspend_loan(loan: Loan, *, on: dt.date | None = None, reason: str, actor: Any = None) -> Loan:
    """Stop accrual, falling due and penalty of ``loan`` from ``on`` (default today; never a day
    already closed). ``reason`` is what staff read (the case in words). Idempotent."""
    with transaction.atomic():
        locked = Loan.objects.select_for_update().get(pk=loan.pk)
        if locked.suspended_from is not None:
            return locked
        if locked.status != Loan.Status.ACTIVE:
            raise ServicingError(_("Only a loan being repaid can be suspended."))
        start = max(on or timezone.localdate(), first_open_day(locked))
        locked.suspended_from = start
        locked.suspension_reason = reason[:200]
        locked.save(update_fields=["suspended_from", "suspension_reason"])
        audit(
            "servicing.loan_suspended",
            actor=actor,
            target=locked,
            data={"number": locked.number, "from": start.isoformat(), "reason": locked.suspension_reason},
        )
    loan.suspended_from, loan.suspension_reason = locked.suspended_from, locked.suspension_reason
    return locked


def back_accrual_amount(loan: Loan, days: int) -> int:
    """Interest of ``days`` suspended days at the running period's daily accrual (tiyn)."""
    if days <= 0 or loan.cur_start is None or loan.cur_due is None:
        return 0
    period = (loan.cur_due - loan.cur_start).days
    return round_div(loan.cur_interest * days, period) if period > 0 else 0


def resume_loan(loan: Loan, *, back_accrue: bool, key: str, actor: Any = None) -> Resumption:
    """End the suspension of ``loan`` on its first open day: schedule moved by the suspension's
    length (new version), interest of the suspended days posted when ``back_accrue``. ``key``
    makes the back-accrual posting idempotent (e.g. the case)."""
    with transaction.atomic():
        locked = Loan.objects.select_for_update().get(pk=loan.pk)
        if locked.suspended_from is None:
            return Resumption(
                locked.pk, first_open_day(locked), 0, 0, locked.schedule_version, done_before=True
            )
        resumed_on = first_open_day(locked)
        shift = max(0, (resumed_on - locked.suspended_from).days)
        extra = (
            back_accrual_amount(locked, shift) if back_accrue and locked.status == Loan.Status.ACTIVE else 0
        )
        if shift and locked.status == Loan.Status.ACTIVE and locked.cur_number is not None:
            _shift_schedule(locked, shift, extra)
        if extra:
            ledger.post(
                locked,
                [Leg(AccountKind.INTEREST_ACCRUED, AccountKind.INTEREST_INCOME, extra)],
                key=f"susp:{key}:accr"[:76],
                kind="accrual",
                value_date=resumed_on - ONE_DAY,
            )
        suspended_from = locked.suspended_from
        locked.suspended_from = None
        locked.suspension_reason = ""
        locked.save()
        audit(
            "servicing.loan_resumed",
            actor=actor,
            target=locked,
            data={
                "number": locked.number,
                "suspended_from": suspended_from.isoformat(),
                "resumed_on": resumed_on.isoformat(),
                "shift_days": shift,
                "back_accrued": extra,
                "schedule_version": locked.schedule_version,
            },
        )
    loan.refresh_from_db()
    return Resumption(locked.pk, resumed_on, shift, extra, locked.schedule_version)


def _shift_schedule(loan: Loan, shift: int, extra: int) -> None:
    """A new schedule version: the rows not yet fallen due moved by ``shift`` days, ``extra``
    interest added to the accruing row. Caller holds the lock and saves the loan."""
    delta = dt.timedelta(days=shift)
    rows = list(Instalment.objects.filter(loan=loan, version=loan.schedule_version).order_by("number"))
    version = loan.schedule_version + 1
    copies = []
    for row in rows:
        moved = not row.fell_due
        copies.append(
            Instalment(
                loan=loan,
                version=version,
                number=row.number,
                period_start=row.period_start + delta if moved else row.period_start,
                due_date=row.due_date + delta if moved else row.due_date,
                principal=row.principal,
                interest=row.interest + (extra if row.number == loan.cur_number else 0),
                fee=row.fee,
                principal_paid=row.principal_paid,
                interest_paid=row.interest_paid,
                fee_paid=row.fee_paid,
                fell_due=row.fell_due,
                paid_on=row.paid_on,
            )
        )
    Instalment.objects.bulk_create(copies)
    loan.schedule_version = version
    # The accruing row keeps its place in its period; cur_interest stays what is left to accrue
    # (the back-accrued interest is posted already).
    loan.cur_start = loan.cur_start + delta if loan.cur_start else None
    loan.cur_due = loan.cur_due + delta if loan.cur_due else None
    if loan.accrued_through is not None:
        loan.accrued_through = loan.accrued_through + delta
