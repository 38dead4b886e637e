"""Annual effective rate (ГЭСВ) of a loan's cash flows. Pure: no Django import.

Solves  sum_j S_j / (1 + i)^(t_j / B) = 0  for i, over every cash flow of the loan: the
disbursement (negative, net of fees paid at disbursement) and every payment including fees
(positive); t_j are days since disbursement and B the year basis (365 by default). The solver is
Newton's method (in r = ln(1 + i)) on a bracket, falling back to bisection whenever a Newton step would leave the
bracket or stops improving – so it converges for any flows with exactly one sign change
(the loan case). The exact root is kept as a float; the published figure is the root in percent
rounded as configured (one decimal place, half up, by default – NBRK No. 137 as reported, the
current text is unconfirmed, hence configurable).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

Flow = tuple[int, Decimal | float | int]


class RateError(ValueError):
    """The flows have no (unique) effective rate."""


@dataclass(frozen=True)
class EffectiveRate:
    exact: float  # the root as a fraction (0.4312 = 43.12 %)
    percent: Decimal  # the published figure: root x 100, rounded as configured


def npv(flows: Iterable[Flow], rate: float, year_days: int = 365) -> float:
    """Sum of the flows discounted at ``rate`` (a fraction)."""
    log1 = math.log1p(rate)
    return math.fsum(float(s) * math.exp(-log1 * t / year_days) for t, s in flows)


def _value_and_slope(flows: Sequence[tuple[float, float]], r: float) -> tuple[float, float]:
    """Discounted sum and its derivative in r = ln(1 + i); exp(-r t) cannot overflow for r >= 0."""
    value = 0.0
    slope = 0.0
    for t, s in flows:
        term = s * math.exp(-r * t)
        value += term
        slope -= t * term
    return value, slope


# Search r = ln(1 + i) between i = -99 % and i = e^700 (beyond any float that can be published):
# very short loans with large fees have effective rates of 10^9 % and more, still well defined.
_R_LOW, _R_HIGH = math.log(0.01), 700.0


def solve_rate(
    flows: Sequence[Flow], *, year_days: int = 365, tolerance: float = 1e-14, max_iter: int = 400
) -> float:
    """The root i of the effective-rate equation, as a fraction.

    Solved for r = ln(1 + i), where the discounted sum is smooth and, for a loan's flows
    (one sign change), monotone, so a bracket always exists unless the flows have no root.
    """
    if len(flows) < 2:
        raise RateError("at least two cash flows are needed")
    scaled = [(t / year_days, float(s)) for t, s in flows]
    if any(t < 0 for t, _ in scaled):
        raise RateError("cash flow times cannot be negative")
    positives = math.fsum(s for _, s in scaled if s > 0)
    negatives = math.fsum(-s for _, s in scaled if s < 0)
    if positives <= 0 or negatives <= 0:
        raise RateError("the flows need both a disbursement and payments")
    scale = max(positives, negatives)
    flows_n = [(t, s / scale) for t, s in scaled]

    lo, hi = _R_LOW, 0.0
    f_lo, _ = _value_and_slope(flows_n, lo)
    f_hi, _ = _value_and_slope(flows_n, hi)
    while f_hi * f_lo > 0:
        if hi >= _R_HIGH:
            raise RateError("no effective rate: the flows do not change sign in value")
        lo, f_lo = hi, f_hi
        hi = min(_R_HIGH, max(1.0, hi * 4))
        f_hi, _ = _value_and_slope(flows_n, hi)

    x = (lo + hi) / 2
    for _ in range(max_iter):
        f, d = _value_and_slope(flows_n, x)
        if f == 0.0:
            return math.expm1(x)
        # Keep the bracket: the sign of f tells on which side of the root x lies.
        if (f > 0) == (f_lo > 0):
            lo, f_lo = x, f
        else:
            hi = x
        step_ok = d != 0.0 and math.isfinite(d)
        candidate = x - f / d if step_ok else math.nan
        if not (lo < candidate < hi):
            candidate = (lo + hi) / 2  # bisection fallback
        if abs(candidate - x) <= tolerance * max(1.0, abs(x)) or hi - lo <= tolerance * max(1.0, abs(lo)):
            return math.expm1(candidate)
        x = candidate
    raise RateError("the effective rate did not converge")


def effective_rate(
    flows: Sequence[Flow], *, year_days: int = 365, decimals: int = 1, rounding: str = ROUND_HALF_UP
) -> EffectiveRate:
    exact = solve_rate(flows, year_days=year_days)
    quantum = Decimal(1).scaleb(-decimals)
    with localcontext() as ctx:
        # Enough digits for any finite float root (up to ~1e308) at the configured decimals.
        ctx.prec = 320 + decimals
        percent = (Decimal(repr(exact)) * 100).quantize(quantum, rounding=rounding)
    return EffectiveRate(exact=exact, percent=percent)
