"""The demo data of the four registers loads, is what the docs say, and loads only once."""

from __future__ import annotations

import io

import pytest

from qaryz.access.testing import make_client
from qaryz.incidents import demo as incidents_demo
from qaryz.incidents import selectors as incident_selectors
from qaryz.incidents.models import Incident
from qaryz.leaks import demo as leaks_demo
from qaryz.leaks.models import LeakMark
from qaryz.regulator import demo as regulator_demo
from qaryz.regulator.models import Channel
from qaryz.risks import demo as risks_demo
from qaryz.risks import selectors as risk_selectors

pytestmark = pytest.mark.django_db


@pytest.mark.req("R-INC-1", "R-RISK-1", "R-AF-2", "R-REG-1", "R-LEAK-1")
def test_demo_loads_once():
    make_client(phone="+77010000013")
    for _ in range(2):
        out = io.StringIO()
        for module in (incidents_demo, risks_demo, regulator_demo, leaks_demo):
            module.load_demo(out)
    assert Incident.objects.count() == 3 and Channel.objects.count() == 3 and LeakMark.objects.count() == 1
    states = {Incident.objects.get(source=s).status for s in ("demo:overdue", "demo:recovery")}
    assert states == {"open"} and Incident.objects.get(source="demo:closed").status == "closed"
    assert incident_selectors.dashboard()["counts"]["overdue"] >= 2  # the 4-days-old incident
    assert {a.name for a in risk_selectors.critical_assets()} == {
        "АИС кредитования",
        "База персональных данных клиентов",
    }
    assert any(row.incidents["total"] for row in risk_selectors.security_rows())
    web = Channel.objects.get(kind="web")
    app = Channel.objects.get(kind="mobile_app")
    assert web.enabled and app.enabled and not Channel.objects.get(kind="terminal").enabled
    assert LeakMark.objects.get().phone_check == "match"
