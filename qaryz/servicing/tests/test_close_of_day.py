"""The close of business: accrual to the tiyn, falling due, delay, penalties within every cap, the
delay notice, closing repaid loans, idempotency and catch-up (R-ARCH-1 for the retention clock)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from qaryz.servicing import close_of_day, ledger
from qaryz.servicing.amounts import accrual_for_day, penalty_for_day, round_div
from qaryz.servicing.ledger import Leg
from qaryz.servicing.models import BusinessDay, DelayNotice, Instalment, Loan, Transfer
from qaryz.servicing.tests.factories import active_loan

pytestmark = pytest.mark.django_db

START = dt.date(2026, 12, 10)


def close_through(day: dt.date, **kwargs) -> None:
    close_of_day.run(day, booking_date=day, **kwargs)


def ledger_rows() -> list[tuple]:
    return list(
        Transfer.objects.order_by("key").values_list(
            "key", "kind", "entry", "loan_id", "debit_id", "credit_id", "amount", "value_date"
        )
    )


def loan_state(loan_id: int) -> dict:
    values = Loan.objects.filter(pk=loan_id).values().get()
    values.pop("created_at")
    return values


def test_interest_over_a_period_equals_the_schedule(lending_setup):
    loan = active_loan(lending_setup, START)
    first = Instalment.objects.get(loan=loan, number=1)
    close_through(first.due_date - dt.timedelta(days=1))
    loan.refresh_from_db()
    accruals = Transfer.objects.filter(loan=loan, kind="accrual")
    assert accruals.count() == (first.due_date - first.period_start).days - 1
    # Not yet all: the last day brings the rest, and then the instalment falls due.
    assert 0 < loan.interest_accrued < first.interest
    close_through(first.due_date)
    total = sum(Transfer.objects.filter(loan=loan, kind="accrual").values_list("amount", flat=True))
    assert total == first.interest  # to the tiyn
    loan.refresh_from_db()
    first.refresh_from_db()
    assert first.fell_due and loan.interest_accrued == 0
    assert loan.interest_overdue == first.interest and loan.principal_overdue == first.principal
    assert loan.cur_number == 2 and loan.overdue_since == first.due_date + dt.timedelta(days=1)
    second = Instalment.objects.get(loan=loan, number=2)
    assert loan.cur_start == second.period_start and loan.cur_interest == second.interest


def test_sql_rounding_agrees_with_python():
    cases = [(1234567, k, 31) for k in range(0, 32)] + [(5, 1, 2), (3, 1, 2), (1, 1, 3), (999_999_999, 17, 30)]
    with connection.cursor() as cursor:
        for interest, k, n in cases:
            cursor.execute(f"SELECT {close_of_day.round_div_sql(f'CAST({interest} AS bigint) * {k}', str(n))}")
            assert cursor.fetchone()[0] == round_div(interest * k, n)
        for base, ppm in [(150000_00, 5000), (1, 500000), (3, 166667), (123456789, 300)]:
            cursor.execute(f"SELECT {close_of_day.round_div_sql(f'CAST({base} AS bigint) * {ppm}', '1000000')}")
            assert cursor.fetchone()[0] == penalty_for_day(base, ppm)
