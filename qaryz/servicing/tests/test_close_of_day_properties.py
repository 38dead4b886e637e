"""Properties of the close of business: a day's penalty never exceeds any cap (the per-day rate for
the days overdue, the loan year's cap, with the year's reset), and the cached balances always add up
to the transfers."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qaryz.servicing import close_of_day, ledger
from qaryz.servicing.amounts import penalty_for_day
from qaryz.servicing.ledger_check import differences
from qaryz.servicing.models import LOAN_BALANCES, Instalment, Loan, Transfer
from qaryz.servicing.tests.factories import active_loan
from qaryz.servicing.tests.test_close_of_day import START, deposit

pytestmark = pytest.mark.django_db

_days = itertools.count(1)


@pytest.mark.req("R-CAB-6")
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    principal_overdue=st.integers(0, 50_000_000_00),
    interest_overdue=st.integers(0, 5_000_000_00),
    ppm_high=st.integers(0, 10_000),
    ppm_after=st.integers(0, 10_000),
    high_days=st.integers(0, 120),
    days_late=st.integers(1, 400),
    cap=st.integers(0, 10_000_000_00),
    used=st.floats(0, 1),
    year_end_in=st.integers(-1, 40),
)
def test_a_days_penalty_never_exceeds_any_cap(
    lending_setup,
    principal_overdue,
    interest_overdue,
    ppm_high,
    ppm_after,
    high_days,
    days_late,
    cap,
    used,
    year_end_in,
):
    if not hasattr(test_a_days_penalty_never_exceeds_any_cap, "loan"):
        test_a_days_penalty_never_exceeds_any_cap.loan = active_loan(lending_setup, START)
        # Only the penalty is under test: nothing of this loan's schedule falls due on the days used.
        Instalment.objects.filter(loan=test_a_days_penalty_never_exceeds_any_cap.loan).update(fell_due=True)
    loan = test_a_days_penalty_never_exceeds_any_cap.loan
    day = START + dt.timedelta(days=next(_days))  # a new day each example: new transfer keys
    accrued = int(cap * used)
    Loan.objects.filter(pk=loan.pk).update(
        status="active",
        closed_through=day - dt.timedelta(days=1),
        penalty_through=day - dt.timedelta(days=1),
        cur_number=None,
        cur_start=None,
        cur_due=None,
        principal_overdue=principal_overdue,
        interest_overdue=interest_overdue,
        penalty_ppm_high=ppm_high,
        penalty_ppm_after=ppm_after,
        penalty_high_days=high_days,
        overdue_since=day - dt.timedelta(days=days_late - 1),
        penalty_year_cap=cap,
        penalty_year_accrued=accrued,
        penalty_year_end=day + dt.timedelta(days=year_end_in),
        penalty=0,
    )
    close_of_day.close_chunk(day, loan.pk, loan.pk, booking_date=day)
    after = Loan.objects.get(pk=loan.pk)
    base = principal_overdue + interest_overdue
    rate = ppm_high if days_late <= high_days else ppm_after
    room = cap - (0 if year_end_in <= 0 else accrued)
    assert after.last_penalty <= penalty_for_day(base, max(ppm_high, ppm_after))  # per-day caps
    assert after.last_penalty <= penalty_for_day(base, rate)  # the rate of this day of the delay
    assert 0 <= after.penalty_year_accrued <= cap  # the loan year's cap
    assert after.last_penalty == min(penalty_for_day(base, rate), room)  # and exactly that
    assert after.penalty == after.last_penalty
    if year_end_in <= 0:  # the loan year ended: the cap starts again, the year end moves a year
        assert after.penalty_year_end == close_of_day_year(day + dt.timedelta(days=year_end_in))
    posted = Transfer.objects.filter(key=f"pen:{loan.pk}:{day.isoformat()}:1").values_list(
        "amount", flat=True
    )
    assert list(posted) == ([after.last_penalty] if after.last_penalty else [])


def close_of_day_year(day: dt.date) -> dt.date:
    from qaryz.servicing.services import _add_year

    return _add_year(day)


@settings(max_examples=6, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    steps=st.lists(st.tuples(st.integers(0, 200_000_00), st.integers(1, 40)), min_size=1, max_size=3),
)
def test_cached_balances_always_add_up_to_the_transfers(lending_setup, steps):
    if not hasattr(test_cached_balances_always_add_up_to_the_transfers, "loans"):
        test_cached_balances_always_add_up_to_the_transfers.loans = [
            active_loan(lending_setup, START),
            active_loan(lending_setup, START + dt.timedelta(days=9), term=3),
        ]
    loans = test_cached_balances_always_add_up_to_the_transfers.loans
    for amount, days in steps:
        day = max(Loan.objects.filter(pk__in=[x.pk for x in loans]).values_list("closed_through", flat=True))
        if amount:
            deposit(loans[next(_days) % 2], amount, day, f"prop-{next(_days)}")
        close_of_day.run(day + dt.timedelta(days=days), booking_date=START)
        cached = dict.fromkeys(LOAN_BALANCES, 0)
        from_transfers = dict.fromkeys(LOAN_BALANCES, 0)
        for loan in Loan.objects.all():
            for kind in LOAN_BALANCES:
                cached[kind] += getattr(loan, kind)
            for kind, value in ledger.balances_from_transfers(loan.pk).items():
                from_transfers[kind] += value
        assert cached == from_transfers
        assert list(differences()) == []
