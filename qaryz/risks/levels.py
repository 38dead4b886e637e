"""Risk arithmetic of the registers (R-RISK-1, R-AF-2; seed 000 §21–23). Pure module: no Django.

Scales are 1..5. Several experts estimate the likelihood: the highest estimate is the result
(seed 000 §22). The impact of an information-security risk is the worst loss of confidentiality,
integrity or availability (§23). The level is read from likelihood × impact:

    score 1–4 low, 5–9 medium, 10–14 high, 15–25 critical
"""

from __future__ import annotations

from collections.abc import Iterable

SCALE = range(1, 6)
LEVELS = ("low", "medium", "high", "critical")
# lowest score of each level above "low"
THRESHOLDS = {"medium": 5, "high": 10, "critical": 15}


def _checked(value: int, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value not in SCALE:
        raise ValueError(f"{what} must be an integer from 1 to 5, got {value!r}")
    return value


def combined_likelihood(estimates: Iterable[int]) -> int | None:
    """The experts' combined likelihood: the highest estimate; None without any estimate."""
    values = [_checked(v, "likelihood") for v in estimates]
    return max(values) if values else None


def impact(confidentiality: int, integrity: int, availability: int) -> int:
    """The impact of a risk: the worst of its losses of confidentiality, integrity, availability."""
    return max(
        _checked(confidentiality, "confidentiality"),
        _checked(integrity, "integrity"),
        _checked(availability, "availability"),
    )


def score(likelihood: int, impact_value: int) -> int:
    return _checked(likelihood, "likelihood") * _checked(impact_value, "impact")


def level(likelihood: int | None, impact_value: int) -> str | None:
    """ "low" | "medium" | "high" | "critical", or None while nobody has estimated the likelihood."""
    if likelihood is None:
        return None
    value = score(likelihood, impact_value)
    if value >= THRESHOLDS["critical"]:
        return "critical"
    if value >= THRESHOLDS["high"]:
        return "high"
    if value >= THRESHOLDS["medium"]:
        return "medium"
    return "low"


def is_critical_asset(loss_kzt: int, threshold_kzt: int) -> bool:
    """Seed 000 §15: an asset is critical when the losses from a breach reach the materiality level."""
    if loss_kzt < 0 or threshold_kzt < 0:
        raise ValueError("losses and the threshold are not negative")
    return loss_kzt >= threshold_kzt
