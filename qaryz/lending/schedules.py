"""Repayment schedules: annuity and differentiated methods (R-PRE-4). Pure: no Django import.

Conventions (documented in docs/lending.md):

* Money is ``Decimal``; amounts are rounded half-up to ``quantum`` (0.01 KZT by default) at these
  points only: the annuity instalment, each period's interest, each fee, the differentiated
  principal part. Everything else is exact, and the **last instalment absorbs the rounding**:
  its principal part is whatever remains outstanding.
* Instalments are monthly and fall on calendar dates: the payment day (the disbursement day by
  default) in each following month, clamped to the month's last day (31 Jan -> 28/29 Feb -> 31 Mar).
* First-period rule: the first due date is the first payment day strictly after disbursement that
  is at least ``first_period_min_days`` away; so a first period is between that minimum and
  minimum + one month long.
* Interest of a period = outstanding principal x nominal rate x year fraction of the period's
  days under the day-count basis (actual/365, actual/360, 30E/360).
* The annuity instalment is the exact level payment on the actual periods (the outstanding
  principal discounted period by period with each period's own rate), not the textbook
  "rate/12" formula, so that with uneven months only rounding is left for the last instalment.
  Should a long first period at a high rate accrue more interest than the level payment, the
  instalment stays level and the excess interest is paid with the following instalments
  (before principal, never capitalised); the level payment is then solved numerically on that
  rule so that the last instalment again absorbs only rounding.
* Fees: one-off (paid at disbursement or with the first instalment) and monthly (with every
  instalment), each a fixed amount and/or a percentage of the principal (monthly fees may
  instead take a percentage of the outstanding principal).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext
from enum import StrEnum

ZERO = Decimal("0")
HUNDRED = Decimal("100")
CENT = Decimal("0.01")


class Method(StrEnum):
    ANNUITY = "annuity"
    DIFFERENTIATED = "differentiated"


class DayCount(StrEnum):
    ACT_365 = "actual/365"
    ACT_360 = "actual/360"
    THIRTY_360 = "30/360"


class FeeKind(StrEnum):
    ONE_OFF = "one_off"
    MONTHLY = "monthly"


class FeeTiming(StrEnum):
    """When a one-off fee is paid."""

    DISBURSEMENT = "disbursement"
    FIRST_INSTALMENT = "first_instalment"


class FeeBase(StrEnum):
    """What a percentage fee is taken of."""

    PRINCIPAL = "principal"
    OUTSTANDING = "outstanding"


class ScheduleError(ValueError):
    """Terms that cannot produce a schedule (the message names the field)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class Fee:
    name: str
    kind: FeeKind = FeeKind.ONE_OFF
    amount: Decimal = ZERO  # fixed part, KZT
    percent: Decimal = ZERO  # percentage part, of ``base``
    timing: FeeTiming = FeeTiming.DISBURSEMENT  # one-off fees only
    base: FeeBase = FeeBase.PRINCIPAL  # monthly fees only; one-off fees are always of the principal


@dataclass(frozen=True)
class LoanTerms:
    principal: Decimal
    term_months: int
    annual_rate_percent: Decimal
    method: Method
    start_date: dt.date
    day_count: DayCount = DayCount.ACT_365
    fees: Sequence[Fee] = ()
    payment_day: int | None = None  # 1..31; None = day of disbursement
    first_period_min_days: int = 15
    quantum: Decimal = CENT


@dataclass(frozen=True)
class Instalment:
    number: int
    due_date: dt.date
    days: int
    principal: Decimal
    interest: Decimal
    fee: Decimal
    total: Decimal
    remaining_principal: Decimal


@dataclass(frozen=True)
class Schedule:
    terms: LoanTerms
    instalments: list[Instalment]
    upfront_fee: Decimal  # fees paid at disbursement
    total_principal: Decimal = field(init=False)
    total_interest: Decimal = field(init=False)
    total_fees: Decimal = field(init=False)
    total_payable: Decimal = field(init=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "total_principal", sum((i.principal for i in self.instalments), ZERO))
        set_(self, "total_interest", sum((i.interest for i in self.instalments), ZERO))
        set_(self, "total_fees", self.upfront_fee + sum((i.fee for i in self.instalments), ZERO))
        set_(self, "total_payable", self.total_principal + self.total_interest + self.total_fees)

    def cash_flows(self) -> list[tuple[int, Decimal]]:
        """(days since disbursement, amount): the disbursement net of upfront fees is negative,
        every instalment positive – the input of the effective-rate equation."""
        flows = [(0, self.upfront_fee - self.terms.principal)]
        start = self.terms.start_date
        flows.extend(((i.due_date - start).days, i.total) for i in self.instalments)
        return flows


def round_money(value: Decimal, quantum: Decimal = CENT) -> Decimal:
    return value.quantize(quantum, rounding=ROUND_HALF_UP)


def _month_day(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def due_dates(
    start: dt.date, term_months: int, payment_day: int | None = None, min_first_days: int = 15
) -> list[dt.date]:
    """Monthly due dates on calendar dates following the first-period rule (module docstring)."""
    day = payment_day or start.day
    year, month = start.year, start.month
    first = _month_day(year, month, day)
    while first <= start or (first - start).days < min_first_days:
        year, month = _add_months(year, month, 1)
        first = _month_day(year, month, day)
    dates = []
    for k in range(term_months):
        y, m = _add_months(year, month, k)
        dates.append(_month_day(y, m, day))
    return dates


def year_fraction(start: dt.date, end: dt.date, basis: DayCount) -> Decimal:
    if basis == DayCount.ACT_365:
        return Decimal((end - start).days) / 365
    if basis == DayCount.ACT_360:
        return Decimal((end - start).days) / 360
    # 30E/360 (Eurobond basis): day 31 counts as 30.
    d1, d2 = min(start.day, 30), min(end.day, 30)
    days = 360 * (end.year - start.year) + 30 * (end.month - start.month) + (d2 - d1)
    return Decimal(days) / 360


def _validate(terms: LoanTerms) -> None:
    if not isinstance(terms.principal, Decimal) or not terms.principal.is_finite() or terms.principal <= 0:
        raise ScheduleError("amount", "must be a positive amount")
    if not 1 <= terms.term_months <= 600:
        raise ScheduleError("term_months", "must be between 1 and 600")
    rate = terms.annual_rate_percent
    if not isinstance(rate, Decimal) or not rate.is_finite() or rate < 0 or rate > 1000:
        raise ScheduleError("annual_rate_percent", "must be between 0 and 1000")
    if terms.payment_day is not None and not 1 <= terms.payment_day <= 31:
        raise ScheduleError("payment_day", "must be between 1 and 31")
    # Up to three months: an amendment keeps the contract's start and pushes the first due date
    # past the day it is signed (qaryz.lending.amendments).
    if not 0 <= terms.first_period_min_days <= 92:
        raise ScheduleError("first_period_min_days", "must be between 0 and 92")
    for fee in terms.fees:
        if fee.amount < 0 or fee.percent < 0 or not fee.amount.is_finite() or not fee.percent.is_finite():
            raise ScheduleError("fees", "fee amounts and percentages cannot be negative")
        if fee.percent > 100:
            raise ScheduleError("fees", "a fee percentage cannot exceed 100")


def _last_minus_level(principal: Decimal, period_rates: Sequence[Decimal], level: Decimal) -> Decimal:
    """Unrounded run of the annuity rule at ``level``: how much the last instalment exceeds it."""
    outstanding, carried = principal, ZERO
    for r in period_rates[:-1]:
        interest = outstanding * r + carried
        carried = max(interest - level, ZERO)
        outstanding -= level - (interest - carried)
    return outstanding * (1 + period_rates[-1]) + carried - level


def _level_payment(principal: Decimal, period_rates: Sequence[Decimal]) -> Decimal:
    """Level payment A with sum_j A * prod_{k<=j} 1/(1+r_k) = P on the actual periods; when the
    deferral of excess first-period interest applies, refined by secant steps so that the last
    instalment is again level up to rounding."""
    with localcontext() as ctx:
        ctx.prec = 34
        discount, total_discount = Decimal(1), Decimal(0)
        for r in period_rates:
            discount /= 1 + r
            total_discount += discount
        a0 = principal / total_discount
        if principal * max(period_rates) <= a0:
            return a0  # no period accrues more than the level payment: the closed form is exact
        f0 = _last_minus_level(principal, period_rates, a0)
        a1 = a0 * Decimal("1.001")
        for _ in range(20):
            f1 = _last_minus_level(principal, period_rates, a1)
            if f1 == f0 or abs(f1) < Decimal("1e-9"):
                break
            a0, a1, f0 = a1, a1 - f1 * (a1 - a0) / (f1 - f0), f1
        return a1


def build_schedule(terms: LoanTerms) -> Schedule:
    _validate(terms)
    q = terms.quantum
    principal = terms.principal
    n = terms.term_months
    dates = due_dates(terms.start_date, n, terms.payment_day, terms.first_period_min_days)
    rate = terms.annual_rate_percent / HUNDRED
    previous = [terms.start_date, *dates[:-1]]
    period_rates = [rate * year_fraction(a, b, terms.day_count) for a, b in zip(previous, dates, strict=True)]

    if terms.method == Method.ANNUITY:
        level = round_money(_level_payment(principal, period_rates), q)
    else:
        level = round_money(principal / n, q)

    upfront = ZERO
    first_extra = ZERO
    for fee in terms.fees:
        if fee.kind == FeeKind.ONE_OFF:
            value = round_money(fee.amount + principal * fee.percent / HUNDRED, q)
            if fee.timing == FeeTiming.DISBURSEMENT:
                upfront += value
            else:
                first_extra += value
    if upfront >= principal:
        # Nothing (or less than nothing) would reach the borrower: no loan, no effective rate.
        raise ScheduleError("fees", "fees paid at disbursement must be less than the amount")

    outstanding = principal
    carried = ZERO  # annuity: interest accrued but not yet paid (never capitalised)
    instalments: list[Instalment] = []
    for k, (due, r) in enumerate(zip(dates, period_rates, strict=True)):
        interest = round_money(outstanding * r, q) + carried
        carried = ZERO
        if k == n - 1:
            part = outstanding  # the last instalment absorbs every rounding difference
        elif terms.method == Method.ANNUITY:
            # A long first period at a high rate can accrue more interest than the level
            # payment: the instalment stays level, the excess interest is paid with the next
            # instalments (before principal) and bears no interest itself.
            if interest > level:
                carried, interest = interest - level, level
            part = min(level - interest, outstanding)
        else:
            part = min(level, outstanding)
        fee_total = first_extra if k == 0 else ZERO
        for fee in terms.fees:
            if fee.kind == FeeKind.MONTHLY:
                base = principal if fee.base == FeeBase.PRINCIPAL else outstanding
                fee_total += round_money(fee.amount + base * fee.percent / HUNDRED, q)
        fee_total = round_money(fee_total, q)
        outstanding -= part
        instalments.append(
            Instalment(
                number=k + 1,
                due_date=due,
                days=(due - previous[k]).days,
                principal=part,
                interest=interest,
                fee=fee_total,
                total=part + interest + fee_total,
                remaining_principal=outstanding,
            )
        )
    return Schedule(terms=terms, instalments=instalments, upfront_fee=upfront)
