"""Risk arithmetic (R-RISK-1, seed 000 §21–23): the highest expert estimate wins, the impact is the
worst of C/I/A, the level is read from likelihood × impact. Pure: no database."""

from __future__ import annotations

import pytest

from qaryz.risks import levels


@pytest.mark.req("R-RISK-1")
def test_the_highest_expert_estimate_wins():
    assert levels.combined_likelihood([2, 4, 3]) == 4
    assert levels.combined_likelihood([1]) == 1
    assert levels.combined_likelihood([]) is None


@pytest.mark.req("R-RISK-1")
def test_impact_is_the_worst_of_confidentiality_integrity_availability():
    assert levels.impact(1, 5, 2) == 5
    assert levels.impact(3, 3, 3) == 3


@pytest.mark.req("R-RISK-1")
@pytest.mark.parametrize(
    ("likelihood", "impact", "expected"),
    [
        (1, 1, "low"),
        (2, 2, "low"),
        (1, 5, "medium"),
        (3, 3, "medium"),
        (2, 5, "high"),
        (3, 4, "high"),
        (3, 5, "critical"),
        (5, 5, "critical"),
        (None, 5, None),
    ],
)
def test_level_boundaries(likelihood, impact, expected):
    assert levels.level(likelihood, impact) == expected


@pytest.mark.req("R-RISK-1")
def test_the_level_never_falls_when_likelihood_or_impact_rises():
    order = {code: n for n, code in enumerate(levels.LEVELS)}
    for likelihood in range(1, 6):
        for impact in range(1, 6):
            here = order[levels.level(likelihood, impact)]
            if likelihood < 5:
                assert order[levels.level(likelihood + 1, impact)] >= here
            if impact < 5:
                assert order[levels.level(likelihood, impact + 1)] >= here


@pytest.mark.req("R-RISK-1")
@pytest.mark.parametrize("bad", [0, 6, -1, 2.5, True, "3"])
def test_values_off_the_scale_are_refused(bad):
    with pytest.raises(ValueError):
        levels.score(bad, 3)
    with pytest.raises(ValueError):
        levels.combined_likelihood([3, bad])


@pytest.mark.req("R-RISK-1")
def test_critical_asset_against_the_materiality_threshold():
    assert levels.is_critical_asset(5_000_000, 5_000_000)
    assert not levels.is_critical_asset(4_999_999, 5_000_000)
    with pytest.raises(ValueError):
        levels.is_critical_asset(-1, 10)
