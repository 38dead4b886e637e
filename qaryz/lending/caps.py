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
from qaryz.lending.schedules import DayCount, Fee, LoanTerms, Method, build_schedule


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


def exact_rate_percent(terms: LoanTerms, year_days: int = 365) -> Decimal:
    """Unrounded effective rate in percent (the cap is compared with the exact figure)."""
    rate = solve_rate(build_schedule(terms).cash_flows(), year_days=year_days)
    return Decimal(repr(rate * 100))


def loan_breaches(terms: LoanTerms, caps: Caps, year_days: int = 365) -> list[Breach]:
    breaches = []
    if terms.principal > caps.max_amount_kzt:
        breaches.append(
            Breach(
                "amount",
                gettext_noop("exceeds the maximum microcredit"),
                caps.max_amount_kzt,
                terms.principal,
            )
        )
    rate = exact_rate_percent(terms, year_days)
    if rate > caps.max_effective_rate_percent:
        breaches.append(
            Breach(
                "effective_rate",
                gettext_noop("exceeds the maximum annual effective rate"),
                caps.max_effective_rate_percent,
                rate,
            )
        )
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
    for amount in {product.min_amount, product.max_amount}:
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
                worst = max(worst, exact_rate_percent(terms, year_days))
    if worst > caps.max_effective_rate_percent:
        breaches.append(
            Breach(
                "nominal_rate_percent",
                gettext_noop("the annual effective rate can exceed the cap"),
                caps.max_effective_rate_percent,
                worst,
            )
        )
    return breaches
