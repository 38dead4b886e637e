"""Draft schedules side by side (R-PRE-3, R-PRE-4): the glue between the pure calculators and the
configuration (rounding of the effective rate, first-period rule). Reads settings; writes nothing."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from django.conf import settings

from qaryz.lending.effective_rate import effective_rate
from qaryz.lending.schedules import (
    DayCount,
    Fee,
    FeeBase,
    FeeKind,
    FeeTiming,
    LoanTerms,
    Method,
    Schedule,
    build_schedule,
)

ALL_METHODS = [Method.ANNUITY, Method.DIFFERENTIATED]


def fees_from_dicts(items: Iterable[Mapping[str, object]]) -> list[Fee]:
    fees = []
    for item in items:
        fees.append(
            Fee(
                name=str(item.get("name", "fee")),
                kind=FeeKind(item.get("kind", FeeKind.ONE_OFF)),
                amount=Decimal(str(item.get("amount", "0"))),
                percent=Decimal(str(item.get("percent", "0"))),
                timing=FeeTiming(item.get("timing", FeeTiming.DISBURSEMENT)),
                base=FeeBase(item.get("base", FeeBase.PRINCIPAL)),
            )
        )
    return fees


def rate_of(schedule: Schedule) -> Decimal:
    return effective_rate(
        schedule.cash_flows(),
        year_days=settings.LENDING_RATE_YEAR_DAYS,
        decimals=settings.LENDING_RATE_DECIMALS,
    ).percent


def schedule_dict(schedule: Schedule) -> dict:
    return {
        "method": str(schedule.terms.method),
        "effective_rate_percent": rate_of(schedule),
        "totals": {
            "principal": schedule.total_principal,
            "interest": schedule.total_interest,
            "fees": schedule.total_fees,
            "upfront_fees": schedule.upfront_fee,
            "payable": schedule.total_payable,
        },
        "instalments": [vars(i) for i in schedule.instalments],
    }


def build(
    *,
    amount: Decimal,
    term_months: int,
    annual_rate_percent: Decimal,
    method: str,
    start_date: dt.date,
    day_count: str = DayCount.ACT_365,
    payment_day: int | None = None,
    fees: Sequence[Fee] = (),
) -> Schedule:
    return build_schedule(
        LoanTerms(
            principal=Decimal(amount),
            term_months=term_months,
            annual_rate_percent=Decimal(annual_rate_percent),
            method=Method(method),
            start_date=start_date,
            day_count=DayCount(day_count),
            fees=tuple(fees),
            payment_day=payment_day,
            first_period_min_days=settings.LENDING_FIRST_PERIOD_MIN_DAYS,
        )
    )


def preview(
    *,
    amount: Decimal,
    term_months: int,
    annual_rate_percent: Decimal,
    methods: Sequence[str] | None,
    start_date: dt.date,
    day_count: str = DayCount.ACT_365,
    payment_day: int | None = None,
    fees: Iterable[Mapping[str, object]] = (),
) -> dict:
    fee_objs = fees_from_dicts(fees)
    schedules = [
        schedule_dict(
            build(
                amount=amount,
                term_months=term_months,
                annual_rate_percent=annual_rate_percent,
                method=m,
                start_date=start_date,
                day_count=day_count,
                payment_day=payment_day,
                fees=fee_objs,
            )
        )
        for m in (methods or ALL_METHODS)
    ]
    return {
        "amount": amount,
        "term_months": term_months,
        "annual_rate_percent": annual_rate_percent,
        "start_date": start_date,
        "day_count": str(day_count),
        "schedules": schedules,
    }


def _plain(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def to_json(result: dict) -> str:
    """JSON with money as decimal strings and dates in ISO form (the API's convention)."""
    return json.dumps(result, default=_plain, ensure_ascii=False, separators=(",", ":"))
