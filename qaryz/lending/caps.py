"""Checks of loan terms against the caps of a legal rule set. Pure: no Django import.

A product is checked at the corners that maximise each quantity: the effective rate over every
term in the range at both ends of the amount range (fixed fees weigh most on the smallest amount,
one-off fees on the shortest term) for every allowed method; the maximum amount against the MCI
cap; the penalty rule against the penalty caps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from qaryz.lending.effective_rate import solve_rate
from qaryz.lending.schedules import DayCount, Fee, LoanTerms, Method, Schedule, build_schedule


def gettext_noop(message: str) -> str:
    """Marks a message for translation (translated where shown: products.breach_message)."""
    return message


@dataclass(frozen=True)
class Caps:
    max_effective_rate_percent: Decimal
    max_amount_kzt: Decimal
    penalty_max_daily_percent: Decimal
    penalty_high_days: int
    penalty_after_daily_percent: Decimal
    penalty_max_annual_percent: Decimal
    # Short loans (term up to N days and amount up to M KZT): cost per day strictly below the cap.
    short_loan_max_days: int | None = None
    short_loan_max_amount_kzt: Decimal | None = None
    short_loan_max_daily_rate_percent: Decimal | None = None


@dataclass(frozen=True)
class ProductTerms:
    min_amount: Decimal
    max_amount: Decimal
    min_term_months: int
    max_term_months: int
    nominal_rate_percent: Decimal
    fees: Sequence[Fee]
    methods: Sequence[Method]
    day_count: DayCount
    penalty_daily_percent: Decimal
    penalty_after_days: int
    penalty_after_daily_percent: Decimal


@dataclass(frozen=True)
class Breach:
    field: str
    message: str
    limit: Decimal
    value: Decimal


def exact_rate_percent(terms: LoanTerms, year_days: int = 365, schedule: Schedule | None = None) -> Decimal:
    """Unrounded effective rate in percent (the cap is compared with the exact figure)."""
    rate = solve_rate((schedule or build_schedule(terms)).cash_flows(), year_days=year_days)
    return Decimal(repr(rate * 100))


def short_loan_daily_percent(terms: LoanTerms, caps: Caps, schedule: Schedule) -> Decimal | None:
    """Cost per day of a short loan in percent of the amount, or None when the loan is not short.

    Cost = everything paid beyond the principal (interest and every fee), spread over the days
    from disbursement to the last due date – the conservative reading of the short-loan cap
    (which costs count is **unconfirmed**, see docs/lending.md).
    """
    if caps.short_loan_max_days is None or caps.short_loan_max_daily_rate_percent is None:
        return None
    days = (schedule.instalments[-1].due_date - terms.start_date).days
    if days > caps.short_loan_max_days:
        return None
    if caps.short_loan_max_amount_kzt is not None and terms.principal > caps.short_loan_max_amount_kzt:
        return None
    cost = schedule.total_payable - schedule.total_principal
    return cost / terms.principal / days * 100


def _short_loan_breach(daily: Decimal | None, caps: Caps, field: str) -> Breach | None:
    limit = caps.short_loan_max_daily_rate_percent
    if daily is None or limit is None or daily < limit:
        return None
    return Breach(field, gettext_noop("a short loan costs more per day than the cap"), limit, daily)


def loan_breaches(terms: LoanTerms, caps: Caps, year_days: int = 365) -> list[Breach]:
    breaches = []
    schedule = build_schedule(terms)
    if terms.principal > caps.max_amount_kzt:
        breaches.append(
            Breach(
                "amount",
                gettext_noop("exceeds the maximum microcredit"),
                caps.max_amount_kzt,
                terms.principal,
            )
        )
    rate = exact_rate_percent(terms, year_days, schedule)
    if rate > caps.max_effective_rate_percent:
        breaches.append(
            Breach(
                "effective_rate",
                gettext_noop("exceeds the maximum annual effective rate"),
                caps.max_effective_rate_percent,
                rate,
            )
        )
    short = _short_loan_breach(short_loan_daily_percent(terms, caps, schedule), caps, "short_loan")
    if short is not None:
        breaches.append(short)
    return breaches


def product_breaches(
    product: ProductTerms, caps: Caps, *, start: dt.date, year_days: int = 365
) -> list[Breach]:
    breaches = []
    if product.max_amount > caps.max_amount_kzt:
        breaches.append(
            Breach(
                "max_amount",
                gettext_noop("exceeds the maximum microcredit"),
                caps.max_amount_kzt,
                product.max_amount,
            )
        )
    if product.penalty_daily_percent > caps.penalty_max_daily_percent:
        breaches.append(
            Breach(
                "penalty_daily_percent",
                gettext_noop("exceeds the penalty cap per day"),
                caps.penalty_max_daily_percent,
                product.penalty_daily_percent,
            )
        )
    if product.penalty_after_days > caps.penalty_high_days:
        breaches.append(
            Breach(
                "penalty_after_days",
                gettext_noop("the higher penalty applies for too many days"),
                Decimal(caps.penalty_high_days),
                Decimal(product.penalty_after_days),
            )
        )
    if product.penalty_after_daily_percent > caps.penalty_after_daily_percent:
        breaches.append(
            Breach(
                "penalty_after_daily_percent",
                gettext_noop("exceeds the later penalty cap per day"),
                caps.penalty_after_daily_percent,
                product.penalty_after_daily_percent,
            )
        )
    # The yearly penalty cap (share of the loan) is enforced by servicing when penalties accrue.
    worst = Decimal("-1")
    worst_daily: Decimal | None = None
    amounts = {product.min_amount, product.max_amount}
    if caps.short_loan_max_amount_kzt is not None and (
        product.min_amount <= caps.short_loan_max_amount_kzt <= product.max_amount
    ):
        amounts.add(caps.short_loan_max_amount_kzt)  # the largest amount that is still a short loan
    for amount in amounts:
        for months in range(product.min_term_months, product.max_term_months + 1):
            for method in product.methods:
                terms = LoanTerms(
                    principal=amount,
                    term_months=months,
                    annual_rate_percent=product.nominal_rate_percent,
                    method=method,
                    start_date=start,
                    day_count=product.day_count,
                    fees=tuple(product.fees),
                )
                schedule = build_schedule(terms)
                worst = max(worst, exact_rate_percent(terms, year_days, schedule))
                daily = short_loan_daily_percent(terms, caps, schedule)
                if daily is not None and (worst_daily is None or daily > worst_daily):
                    worst_daily = daily
    if worst > caps.max_effective_rate_percent:
        breaches.append(
            Breach(
                "nominal_rate_percent",
                gettext_noop("the annual effective rate can exceed the cap"),
                caps.max_effective_rate_percent,
                worst,
            )
        )
    short = _short_loan_breach(worst_daily, caps, "nominal_rate_percent")
    if short is not None:
        breaches.append(short)
    return breaches
