"""Annual effective rate (ГЭСВ) of a loan's cash flows. Pure: no Django import.

Solves  sum_j S_j / (1 + i)^(t_j / B) = 0  for i, over every cash flow of the loan: the
disbursement (negative, net of fees paid at disbursement) and every payment including fees
(positive); t_j are days since disbursement and B the year basis (365 by default). The solver is
Newton's method on a bracket, falling back to bisection whenever a Newton step would leave the
bracket or stops improving – so it converges for any flows with exactly one sign change
(the loan case). The exact root is kept as a float; the published figure is the root in percent
rounded as configured (one decimal place, half up, by default – NBRK No. 137 as reported, the
current text is unconfirmed, hence configurable).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

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


def _npv_and_derivative(flows: Sequence[tuple[float, float]], rate: float) -> tuple[float, float]:
    log1 = math.log1p(rate)
    value = 0.0
    slope = 0.0
    for t, s in flows:
        term = s * math.exp(-log1 * t)
        value += term
        slope -= t * term
    return value, slope / (1.0 + rate)


def solve_rate(
    flows: Sequence[Flow], *, year_days: int = 365, tolerance: float = 1e-13, max_iter: int = 200
) -> float:
    """The root i of the effective-rate equation, as a fraction."""
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

    lo, hi = -0.99, 1.0
    f_lo, _ = _npv_and_derivative(flows_n, lo)
    f_hi, _ = _npv_and_derivative(flows_n, hi)
    while f_hi * f_lo > 0:
        hi *= 4
        if hi > 1e9:
            raise RateError("no effective rate: the flows do not change sign in value")
        f_hi, _ = _npv_and_derivative(flows_n, hi)

    x = 0.1 if lo < 0.1 < hi else (lo + hi) / 2
    for _ in range(max_iter):
        f, d = _npv_and_derivative(flows_n, x)
        if f == 0.0:
            return x
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
            return candidate
        x = candidate
    raise RateError("the effective rate did not converge")


def effective_rate(
    flows: Sequence[Flow], *, year_days: int = 365, decimals: int = 1, rounding: str = ROUND_HALF_UP
) -> EffectiveRate:
    exact = solve_rate(flows, year_days=year_days)
    quantum = Decimal(1).scaleb(-decimals)
    percent = (Decimal(repr(exact)) * 100).quantize(quantum, rounding=rounding)
    return EffectiveRate(exact=exact, percent=percent)
