"""Shared set-up of the antifraud tests: two security officers and an active rule set."""

from __future__ import annotations

from qaryz.access.testing import make_staff
from qaryz.antifraud import services


def officers():
    return make_staff("security"), make_staff("security")


def activate(rules: list[dict], *, thresholds: tuple[int, int, int] | None = None):
    """An active rule set made by one officer and approved by another."""
    maker, checker = officers()
    draft = services.new_draft(maker)
    for i, r in enumerate(rules):
        services.add_rule(draft, maker, code=r.pop("code", f"r{i}"), **r)
    if thresholds:
        services.set_thresholds(draft, maker, review=thresholds[0], hold=thresholds[1], decline=thresholds[2])
    services.submit(draft, maker)
    return services.approve(draft, checker)
