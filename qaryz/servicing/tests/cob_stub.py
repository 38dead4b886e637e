"""TEST ONLY: a stand-in for the close of business (close_of_day.py is a colleague's), so repayment
tests can reach overdue state. Day by day through the ledger's ``post``: the day's interest
accrual (same key and rule as the real close, ``accr:<loan>:<D>:1``); on a due date the unpaid
instalment moves to overdue (principal current → overdue, accrued interest → overdue, the fee
charged to overdue fees), the next instalment starts accruing, and the delay state is recomputed.
No penalty and no advance application: tests that need a penalty post it with ``add_penalty``."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from qaryz.servicing import ledger
from qaryz.servicing.ledger import Leg
from qaryz.servicing.models import AccountKind, Instalment, Loan
from qaryz.servicing.repayments import _recompute_delay, post_accrual_to_day
from qaryz.servicing.services import set_accruing


def close_through(loan: Loan, day: dt.date) -> Loan:
    with transaction.atomic():
        locked = Loan.objects.select_for_update().get(pk=loan.pk)
        d = locked.closed_through + dt.timedelta(days=1)
        while d <= day:
            if locked.cur_due is not None:
                post_accrual_to_day(locked, d)
            if locked.cur_due == d:
                row = Instalment.objects.get(
                    loan=locked, version=locked.schedule_version, number=locked.cur_number
                )
                principal = row.principal - row.principal_paid
                interest = row.interest - row.interest_paid
                fee = row.fee - row.fee_paid
                ledger.post(
                    locked,
                    [
                        Leg(AccountKind.PRINCIPAL_OVERDUE, AccountKind.PRINCIPAL_CURRENT, principal),
                        Leg(
                            AccountKind.INTEREST_OVERDUE,
                            AccountKind.INTEREST_ACCRUED,
                            min(interest, locked.interest_accrued),
                        ),
                        Leg(AccountKind.FEE_OVERDUE, AccountKind.FEE_INCOME, fee),
                    ],
                    key=f"test-due:{locked.pk}:{d}",
                    kind="test_due",
                    value_date=d,
                )
                row.fell_due = True
                row.save(update_fields=["fell_due"])
                nxt = (
                    Instalment.objects.filter(
                        loan=locked, version=locked.schedule_version, number__gt=row.number
                    )
                    .order_by("number")
                    .first()
                )
                set_accruing(locked, nxt)
            locked.closed_through = d
            _recompute_delay(locked)
            d += dt.timedelta(days=1)
        locked.save()
    loan.refresh_from_db()
    return loan


def add_penalty(loan: Loan, amount: int, on: dt.date) -> Loan:
    with transaction.atomic():
        locked = Loan.objects.select_for_update().get(pk=loan.pk)
        ledger.post(
            locked,
            [Leg(AccountKind.PENALTY, AccountKind.PENALTY_INCOME, amount)],
            key=f"test-pen:{locked.pk}:{on}:{amount}",
            kind="test_penalty",
            value_date=on,
        )
        locked.save()
    loan.refresh_from_db()
    return loan
