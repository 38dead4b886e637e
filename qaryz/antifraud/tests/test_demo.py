"""The demo loads an active rule set, alerts, a hold and a case, and is idempotent (R-AF-1)."""

from __future__ import annotations

import io

import pytest

from qaryz.access import demo as access_demo
from qaryz.access.testing import make_client
from qaryz.antifraud import demo
from qaryz.antifraud.models import Alert, Case, Hold, RuleSet

pytestmark = [pytest.mark.django_db, pytest.mark.req("R-AF-1")]


def test_demo_data():
    make_client(), make_client()
    access_demo.load_demo(io.StringIO())
    demo.load_demo(io.StringIO())
    active = RuleSet.objects.get(status="active")
    assert active.rules.count() == 15 and active.approved_by.username == "security2"
    assert {a.outcome for a in Alert.objects.all()} == {"review", "hold", "decline"}
    assert Hold.objects.filter(status="pending").count() == 1 and Case.objects.count() == 1
    demo.load_demo(io.StringIO())
    assert RuleSet.objects.count() == 1 and Alert.objects.count() == 3
