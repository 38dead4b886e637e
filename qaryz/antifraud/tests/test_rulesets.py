"""Rule sets are versioned data; a version becomes active only with a second person's approval
(maker-checker, in the service and in the database) (R-AF-1)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from qaryz.antifraud import services
from qaryz.antifraud.models import RuleSet
from qaryz.antifraud.tests.helpers import activate, officers

pytestmark = [pytest.mark.django_db, pytest.mark.req("R-AF-1")]


def test_draft_submit_approve_by_a_second_person_retires_the_previous():
    first = activate([{"code": "leak", "kind": "data_leak", "outcome": "hold"}])
    maker, checker = officers()
    draft = services.new_draft(maker, copy_from=first)
    assert list(draft.rules.values_list("code", flat=True)) == ["leak"]
    services.add_rule(
        draft, maker, code="ip", kind="velocity_ip", outcome="review", params={"threshold": "4"}, weight=10
    )
    rule = draft.rules.get(code="ip")
    assert rule.params == {"threshold": 4, "window_minutes": 60}
    with pytest.raises(services.AntifraudError):
        services.approve(draft, checker)  # not submitted yet
    services.submit(draft, maker)
    with pytest.raises(services.AntifraudError):
        services.add_rule(draft, maker, code="x", kind="data_leak", outcome="hold")  # no edits once submitted
    with pytest.raises(services.AntifraudError):
        services.approve(draft, maker)  # the maker never approves
    services.approve(draft, checker)
    first.refresh_from_db()
    draft.refresh_from_db()
    assert (first.status, draft.status) == ("retired", "active")
    assert draft.approved_by == checker


def test_an_author_of_a_rule_cannot_approve():
    maker, checker = officers()
    draft = services.new_draft(maker)
    services.add_rule(draft, checker, code="leak", kind="data_leak", outcome="hold")
    services.submit(draft, maker)
    with pytest.raises(services.AntifraudError):
        services.approve(draft, checker)


def test_send_back_returns_to_draft_with_a_reason():
    maker, checker = officers()
    draft = services.new_draft(maker)
    services.add_rule(draft, maker, code="leak", kind="data_leak", outcome="hold")
    services.submit(draft, maker)
    with pytest.raises(services.AntifraudError):
        services.send_back(draft, checker, reason=" ")
    services.send_back(draft, checker, reason="threshold too low")
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.submitted_by is None


def test_the_database_refuses_self_approval_and_two_active_versions():
    active = activate([{"code": "leak", "kind": "data_leak", "outcome": "hold"}])
    with pytest.raises(IntegrityError), transaction.atomic():
        RuleSet.objects.filter(pk=active.pk).update(approved_by=active.created_by)
    maker, _checker = officers()
    other = services.new_draft(maker)
    with pytest.raises(IntegrityError), transaction.atomic():
        RuleSet.objects.filter(pk=other.pk).update(status="active", approved_by=_checker)


@pytest.mark.parametrize(
    "rule,field",
    [
        ({"kind": "nope", "outcome": "hold"}, "kind"),
        ({"kind": "data_leak", "outcome": "maybe"}, "outcome"),
        ({"kind": "velocity_ip", "outcome": "hold", "params": {"threshold": "many"}}, "threshold"),
        ({"kind": "velocity_ip", "outcome": "hold", "params": {"threshold": 0}}, "threshold"),
        ({"kind": "location_abroad", "outcome": "hold", "params": {"countries": "Kazakhstan"}}, "countries"),
        ({"kind": "applications_per_hour", "outcome": "hold", "event_kinds": ["login"]}, "event_kinds"),
        ({"kind": "data_leak", "outcome": "hold", "weight": -1}, "weight"),
    ],
)
def test_bad_rules_get_a_clear_message(rule, field):
    maker, _ = officers()
    draft = services.new_draft(maker)
    with pytest.raises(services.AntifraudError) as exc:
        services.add_rule(draft, maker, code="r", **rule)
    assert exc.value.field == field and exc.value.message


def test_thresholds_must_grow():
    maker, _ = officers()
    draft = services.new_draft(maker)
    with pytest.raises(services.AntifraudError):
        services.set_thresholds(draft, maker, review=50, hold=40, decline=100)
    services.set_thresholds(draft, maker, review=10, hold=20, decline=30)
