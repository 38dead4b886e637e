"""Tiyn <-> KZT at the edges of the servicing room, and the daily accrual rule. Pure: no Django import.

Daily accrual spreads an instalment's scheduled interest (computed by the schedule on the contract's
day-count basis) linearly over the actual days of its period, with cumulative half-up rounding:
accrued(k) = round(interest × k / n) after k of n days. The accruals of a period therefore add up to
the schedule's interest exactly, to the tiyn, and the SQL of the close of business computes the
same integers (``round_div`` is integer arithmetic in both).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

TIYN_PER_KZT = 100


def to_tiyn(amount: Decimal | str | int) -> int:
    value = Decimal(str(amount)) * TIYN_PER_KZT
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def to_kzt(tiyn: int) -> Decimal:
    return (Decimal(tiyn) / TIYN_PER_KZT).quantize(Decimal("0.01"))


def round_div(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up, for numerator >= 0 and denominator > 0."""
    return (2 * numerator + denominator) // (2 * denominator)


def accrued_after(interest: int, days_elapsed: int, period_days: int) -> int:
    """Interest accrued after ``days_elapsed`` of a ``period_days``-day period."""
    days_elapsed = max(0, min(days_elapsed, period_days))
    return round_div(interest * days_elapsed, period_days)


def accrual_for_day(interest: int, day_number: int, period_days: int) -> int:
    """The accrual of day ``day_number`` (1..period_days) of the period."""
    return accrued_after(interest, day_number, period_days) - accrued_after(
        interest, day_number - 1, period_days
    )


def percent_of(amount: int, rate_percent: Decimal) -> int:
    """``rate_percent`` % of ``amount`` tiyn, rounded half up to the tiyn."""
    return int((Decimal(amount) * rate_percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_to_ppm(rate_percent: Decimal) -> int:
    """A daily percentage (at most 4 decimals, as products store it) in parts per million."""
    return int((Decimal(rate_percent) * 10_000).to_integral_value(rounding=ROUND_HALF_UP))


def penalty_for_day(base: int, ppm: int) -> int:
    return round_div(base * ppm, 1_000_000)
