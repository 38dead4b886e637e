"""Schedules and the annual effective rate: properties and known vectors (R-PRE-3, R-PRE-4)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from qaryz.lending.effective_rate import RateError, effective_rate, npv, solve_rate
from qaryz.lending.schedules import (
    DayCount,
    Fee,
    FeeBase,
    FeeKind,
    FeeTiming,
    LoanTerms,
    Method,
    ScheduleError,
    build_schedule,
    due_dates,
    year_fraction,
)

pytestmark = pytest.mark.req("R-PRE-4")

amounts = st.decimals(min_value=D("10000"), max_value=D("10000000"), places=2)
terms_ = st.integers(min_value=1, max_value=60)
# Rates of microcredit products: the effective-rate cap bounds the nominal rate well below 100 %.
rates = st.decimals(min_value=D("0"), max_value=D("60"), places=2)
dates = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31))
methods = st.sampled_from(list(Method))
bases = st.sampled_from(list(DayCount))
payment_days = st.one_of(st.none(), st.integers(min_value=1, max_value=31))


@st.composite
def fee_lists(draw, min_size: int = 0) -> list[Fee]:
    fees = []
    for _ in range(draw(st.integers(min_value=min_size, max_value=3))):
        kind = draw(st.sampled_from(list(FeeKind)))
        fees.append(
            Fee(
                name="f",
                kind=kind,
                amount=draw(st.decimals(min_value=D("0"), max_value=D("5000"), places=2)),
                percent=draw(st.decimals(min_value=D("0.1"), max_value=D("3"), places=2)),
                timing=draw(st.sampled_from(list(FeeTiming))),
                base=draw(st.sampled_from(list(FeeBase))),
            )
        )
    return fees


def upfront_fees(terms: LoanTerms) -> D:
    return sum(
        (
            (fee.amount + terms.principal * fee.percent / 100).quantize(D("0.01"), rounding="ROUND_HALF_UP")
            for fee in terms.fees
            if fee.kind == FeeKind.ONE_OFF and fee.timing == FeeTiming.DISBURSEMENT
        ),
        D("0"),
    )


@st.composite
def loan_terms(draw, fees=None) -> LoanTerms:
    terms = LoanTerms(
        principal=draw(amounts),
        term_months=draw(terms_),
        annual_rate_percent=draw(rates),
        method=draw(methods),
        start_date=draw(dates),
        day_count=draw(bases),
        fees=tuple(draw(fees if fees is not None else fee_lists())),
        payment_day=draw(payment_days),
        first_period_min_days=draw(st.integers(min_value=0, max_value=31)),
    )
    # Fees at disbursement that swallow the whole amount are refused, and near that the rate over
    # a one-day period passes any float (RateError); both are tested below.
    assume(upfront_fees(terms) <= terms.principal / 2)
    return terms


@given(loan_terms())
@settings(max_examples=300, deadline=None)
def test_principal_repaid_exactly_and_nothing_negative(terms):
    schedule = build_schedule(terms)
    assert len(schedule.instalments) == terms.term_months
    assert schedule.total_principal == terms.principal
    assert schedule.instalments[-1].remaining_principal == 0
    for inst in schedule.instalments:
        for value in (inst.principal, inst.interest, inst.fee, inst.total, inst.remaining_principal):
            assert value >= 0
        assert inst.total == inst.principal + inst.interest + inst.fee
        assert inst.days > 0
    assert schedule.upfront_fee >= 0
    due = [i.due_date for i in schedule.instalments]
    assert due == sorted(set(due)) and due[0] > terms.start_date
    assert (due[0] - terms.start_date).days >= terms.first_period_min_days


@given(loan_terms())
@settings(max_examples=200, deadline=None)
def test_annuity_instalments_equal_except_last(terms):
    terms = LoanTerms(**{**vars(terms), "method": Method.ANNUITY})
    schedule = build_schedule(terms)
    totals = {i.principal + i.interest for i in schedule.instalments[:-1]}
    assert len(totals) <= 1
    if totals:
        level = totals.pop()
        last = schedule.instalments[-1]
        # The last one only absorbs rounding: at most a tiyn per period, grown by the interest
        # those rounding differences bear until the end.
        growth = (1 + terms.annual_rate_percent / 100) ** D(terms.term_months / 12)
        assert abs(last.principal + last.interest - level) <= D("0.01") * terms.term_months * growth


@given(loan_terms())
@settings(max_examples=200, deadline=None)
def test_differentiated_principal_parts_equal(terms):
    terms = LoanTerms(**{**vars(terms), "method": Method.DIFFERENTIATED})
    schedule = build_schedule(terms)
    parts = {i.principal for i in schedule.instalments[:-1]}
    assert len(parts) <= 1
    if parts:
        assert abs(schedule.instalments[-1].principal - parts.pop()) <= D("0.01") * terms.term_months


@given(loan_terms())
@settings(max_examples=300, deadline=None)
def test_effective_rate_rediscounts_flows_to_zero(terms):
    schedule = build_schedule(terms)
    flows = schedule.cash_flows()
    rate = effective_rate(flows)
    assert abs(npv(flows, rate.exact)) / float(terms.principal) <= 1e-9


@given(loan_terms(fees=fee_lists(min_size=1)))
@settings(max_examples=300, deadline=None)
def test_effective_rate_at_least_nominal_when_fees(terms):
    schedule = build_schedule(terms)
    assert schedule.total_fees > 0
    rate = effective_rate(schedule.cash_flows())
    assert rate.exact >= float(terms.annual_rate_percent) / 100
    assert rate.percent >= terms.annual_rate_percent.quantize(D("0.1"), rounding="ROUND_HALF_UP") - D("0.1")


def test_textbook_annuity_vector():
    # 100 000 at 12 % for 12 months, 30/360: the classic level payment 8 884.88.
    terms = LoanTerms(
        D("100000"), 12, D("12"), Method.ANNUITY, dt.date(2026, 1, 15), day_count=DayCount.THIRTY_360
    )
    schedule = build_schedule(terms)
    assert [i.total for i in schedule.instalments[:-1]] == [D("8884.88")] * 11
    assert schedule.instalments[0].interest == D("1000.00")
    assert schedule.instalments[0].principal == D("7884.88")
    assert schedule.instalments[-1].total == D("8884.85")  # absorbs the rounding
    assert schedule.total_interest == D("6618.53")


def test_differentiated_vector_actual_365():
    terms = LoanTerms(D("120000"), 3, D("36.5"), Method.DIFFERENTIATED, dt.date(2026, 1, 10))
    schedule = build_schedule(terms)
    # 31, 28 and 31 days at 0.1 % a day on the outstanding principal.
    assert [i.due_date for i in schedule.instalments] == [
        dt.date(2026, 2, 10),
        dt.date(2026, 3, 10),
        dt.date(2026, 4, 10),
    ]
    assert [i.interest for i in schedule.instalments] == [D("3720.00"), D("2240.00"), D("1240.00")]
    assert [i.principal for i in schedule.instalments] == [D("40000.00")] * 3


def test_due_dates_clamp_to_month_end_and_first_period_rule():
    assert due_dates(dt.date(2026, 1, 31), 3) == [
        dt.date(2026, 2, 28),
        dt.date(2026, 3, 31),
        dt.date(2026, 4, 30),
    ]
    # Payment day 20 requested on 10 January: 10 days is too short a first period (minimum 15),
    # so the first instalment moves to 20 February.
    assert due_dates(dt.date(2026, 1, 10), 2, payment_day=20, min_first_days=15) == [
        dt.date(2026, 2, 20),
        dt.date(2026, 3, 20),
    ]
    assert due_dates(dt.date(2026, 1, 1), 1, payment_day=20, min_first_days=15)[0] == dt.date(2026, 1, 20)


def test_day_count_bases():
    a, b = dt.date(2026, 1, 31), dt.date(2026, 3, 1)
    assert year_fraction(a, b, DayCount.ACT_365) == D(29) / 365
    assert year_fraction(a, b, DayCount.ACT_360) == D(29) / 360
    assert year_fraction(a, b, DayCount.THIRTY_360) == D(31) / 360  # 30E/360: 31 Jan counts as 30


def test_fees_one_off_and_monthly():
    fees = (
        Fee("issue", FeeKind.ONE_OFF, amount=D("500"), percent=D("1")),
        Fee("service", FeeKind.MONTHLY, amount=D("100")),
        Fee("doc", FeeKind.ONE_OFF, amount=D("200"), timing=FeeTiming.FIRST_INSTALMENT),
    )
    schedule = build_schedule(
        LoanTerms(D("100000"), 3, D("0"), Method.DIFFERENTIATED, dt.date(2026, 5, 5), fees=fees)
    )
    assert schedule.upfront_fee == D("1500.00")
    assert [i.fee for i in schedule.instalments] == [D("300.00"), D("100.00"), D("100.00")]
    assert schedule.total_fees == D("2000.00")
    assert schedule.total_payable == D("102000.00")
    assert schedule.cash_flows()[0] == (0, D("-98500.00"))


def test_effective_rate_known_vectors():
    # One year, one repayment: exactly the simple rate.
    assert effective_rate([(0, D("-100")), (365, D("110"))]).percent == D("10.0")
    assert solve_rate([(0, -1000), (730, 1210)]) == pytest.approx(0.10, abs=1e-12)
    # Microsoft Excel's XIRR documentation example: 0.373362535.
    start = dt.date(2008, 1, 1)
    flows = [
        (0, D("-10000")),
        ((dt.date(2008, 3, 1) - start).days, D("2750")),
        ((dt.date(2008, 10, 30) - start).days, D("4250")),
        ((dt.date(2009, 2, 15) - start).days, D("3250")),
        ((dt.date(2009, 4, 1) - start).days, D("2750")),
    ]
    # Excel stops at its own tolerance; the exact root differs from its 9 digits in the 9th.
    assert solve_rate(flows) == pytest.approx(0.373362535, abs=5e-9)
    assert abs(npv(flows, solve_rate(flows))) < 1e-9
    assert effective_rate(flows, decimals=2).percent == D("37.34")
    assert effective_rate(flows).percent == D("37.3")


def test_effective_rate_of_schedule_vector():
    # 100 000 for 12 months at 30 %, actual/365, 1 000 fee at disbursement, from 31 Jan 2026.
    terms = LoanTerms(
        D("100000"), 12, D("30"), Method.ANNUITY, dt.date(2026, 1, 31), fees=(Fee("issue", amount=D("1000")),)
    )
    schedule = build_schedule(terms)
    assert schedule.instalments[0].total == D("9737.52")
    assert schedule.instalments[-1].total == D("9737.57")
    assert effective_rate(schedule.cash_flows()).percent == D("37.2")


def test_solver_falls_back_to_bisection_on_hard_flows():
    # Huge rate (payday-style loan): Newton from 10 % overshoots; the bracket keeps it safe.
    flows = [(0, D("-1000")), (10, D("1300"))]
    rate = solve_rate(flows)
    assert abs(npv(flows, rate)) < 1e-9
    assert rate > 10  # more than 1 000 % a year


def test_solver_handles_effective_rates_beyond_a_billion_percent():
    # Found by hypothesis in CI: an 8-day loan with a 37 % fee withheld at disbursement has an
    # effective rate of about 1.6e9 (1.6e11 %): ugly, but a number, not an error.
    flows = [(0, D("-6289.68")), (8, D("10000.00"))]
    rate = solve_rate(flows)
    assert rate == pytest.approx((10000 / 6289.68) ** (365 / 8) - 1, rel=1e-9)
    assert abs(npv(flows, rate)) / 10000 <= 1e-9
    # Negative effective rate (repaying less than received) is also found.
    assert solve_rate([(0, D("-1000")), (365, D("900"))]) == pytest.approx(-0.1, abs=1e-12)


def test_invalid_inputs_are_refused_with_field():
    with pytest.raises(ScheduleError) as exc:
        build_schedule(LoanTerms(D("0"), 12, D("10"), Method.ANNUITY, dt.date(2026, 1, 1)))
    assert exc.value.field == "amount"
    with pytest.raises(ScheduleError):
        build_schedule(LoanTerms(D("1000"), 0, D("10"), Method.ANNUITY, dt.date(2026, 1, 1)))
    with pytest.raises(RateError):
        solve_rate([(0, D("-100"))])
    with pytest.raises(RateError):
        solve_rate([(0, D("100")), (30, D("10"))])


def test_fees_at_disbursement_swallowing_the_amount_are_refused():
    terms = LoanTerms(
        principal=D("10000.00"),
        term_months=1,
        annual_rate_percent=D("0"),
        method=Method.ANNUITY,
        start_date=dt.date(2020, 1, 1),
        fees=(Fee(name="f", kind=FeeKind.ONE_OFF, amount=D("10000.00")),),
    )
    with pytest.raises(ScheduleError) as exc:
        build_schedule(terms)
    assert exc.value.field == "fees"


def test_rate_beyond_any_float_is_an_error_not_a_crash():
    with pytest.raises(RateError):
        effective_rate([(0, D("-931.72")), (1, D("10000"))])  # ~e^866


def test_astronomical_rate_is_still_published():
    # 10 000 lent, 9 999 kept as a fee at disbursement: the borrower gets 1 and repays ~10 000.
    flows = [(0, D("-1")), (31, D("10000"))]
    rate = effective_rate(flows)
    assert rate.percent > D("1e40")
