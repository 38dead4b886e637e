"""The back-test replays stored events set-based and finds exactly what the live evaluation found;
it reports hits per rule and against the known case outcomes (R-AF-1)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from qaryz.access.testing import make_client
from qaryz.antifraud import backtest, services
from qaryz.antifraud.models import Alert, Hit
from qaryz.antifraud.tests.helpers import activate, officers

pytestmark = [pytest.mark.django_db, pytest.mark.req("R-AF-1")]

RULES = [
    {
        "code": "v-iin",
        "kind": "velocity_iin",
        "outcome": "review",
        "params": {"threshold": 3, "window_minutes": 30},
    },
    {
        "code": "v-iin-5m",
        "kind": "velocity_iin",
        "outcome": "review",
        "params": {"threshold": 2, "window_minutes": 5},
    },
    {
        "code": "v-phone",
        "kind": "velocity_phone",
        "outcome": "review",
        "params": {"threshold": 3, "window_minutes": 30},
    },
    {
        "code": "v-dev",
        "kind": "velocity_device",
        "outcome": "review",
        "params": {"threshold": 2, "window_minutes": 10},
    },
    {
        "code": "v-ip",
        "kind": "velocity_ip",
        "outcome": "review",
        "event_kinds": ["login"],
        "params": {"threshold": 3, "window_minutes": 30},
    },
    {
        "code": "v-iban",
        "kind": "velocity_iban",
        "outcome": "review",
        "params": {"threshold": 2, "window_minutes": 60},
    },
    {"code": "sh-iban", "kind": "shared_iban", "outcome": "hold", "weight": 40, "params": {"min_clients": 2}},
    {"code": "sh-dev", "kind": "shared_device", "outcome": "review", "params": {"min_clients": 3}},
    {"code": "pc", "kind": "phone_changed_recently", "outcome": "review", "params": {"window_minutes": 120}},
    {"code": "far", "kind": "location_far", "outcome": "review", "params": {"distance_km": 400}},
    {"code": "abroad", "kind": "location_abroad", "outcome": "review", "weight": 30},
    {"code": "dev", "kind": "device_integrity", "outcome": "review", "params": {"flags": "rooted,emulator"}},
    {"code": "apps", "kind": "applications_per_hour", "outcome": "hold", "params": {"threshold": 2}},
    {"code": "leak", "kind": "data_leak", "outcome": "hold"},
    {"code": "mm", "kind": "source_mismatch", "outcome": "decline"},
]


def _traffic(start: dt.datetime) -> list[int]:
    """Events across every rule kind, a few minutes apart."""
    a, b, c = make_client(), make_client(), make_client()
    plan = [
        ("login", a, {"ip": "10.0.0.1", "device_id": "d1", "lat": 43.24, "lon": 76.89, "country": "KZ"}),
        ("login", a, {"ip": "10.0.0.1", "device_id": "d1", "lat": 43.26, "lon": 76.91}),
        ("login", b, {"ip": "10.0.0.1", "device_id": "d1", "country": "TR"}),
        ("bank_change", a, {"iban": "KZ11AAAA", "device_id": "d2"}),
        ("bank_change", b, {"iban": "KZ11AAAA"}),
        ("phone_change", c, {"new_phone": "+77015550001", "device_id": "d1"}),
        ("application", c, {"iban": "KZ22BBBB", "rooted": True}),
        ("application", c, {"device_flags": ["emulator"], "lat": 51.17, "lon": 71.43}),
        ("login", c, {"lat": 43.2, "lon": 76.9, "data_leak_flagged": True}),
        ("login", c, {"lat": 51.2, "lon": 71.4}),
        ("payout", a, {"iban": "KZ11AAAA", "mismatched_fields": ["surname"]}),
        ("login", a, {"ip": "10.0.0.1"}),
    ]
    ids = []
    for i, (kind, client, attrs) in enumerate(plan):
        with time_machine.travel(start + dt.timedelta(minutes=4 * i), tick=False):
            ids.append(services.evaluate(kind, client=client, attributes=attrs).event_id)
    return ids


def test_the_back_test_finds_what_the_live_evaluation_found():
    version = activate([dict(r) for r in RULES])
    start = timezone.now().replace(microsecond=0) - dt.timedelta(days=1)
    _traffic(start)
    live = {code: Hit.objects.filter(rule__code=code).count() for code in [r["code"] for r in RULES]}
    assert all(live.values()), live  # the traffic exercises every rule
    report = backtest.run(version, start - dt.timedelta(hours=1), start + dt.timedelta(hours=2))
    assert report.events == 12
    assert {r.code: r.hits for r in report.rules} == live  # v-iin and v-iin-5m: one window pass


def test_known_outcomes_and_a_stricter_version():
    version = activate([{"code": "abroad", "kind": "location_abroad", "outcome": "review"}])
    start = timezone.now().replace(microsecond=0) - dt.timedelta(hours=5)
    fraudster, honest = make_client(), make_client()
    officer, other = officers()
    with time_machine.travel(start, tick=False):
        d1 = services.evaluate("login", client=fraudster, attributes={"country": "NG", "ip": "10.9.0.1"})
        d2 = services.evaluate("login", client=honest, attributes={"country": "TR", "ip": "10.9.0.2"})
        d3 = services.evaluate("payout", client=fraudster, attributes={"country": "KZ", "ip": "10.9.0.1"})
    fraud_case = services.open_case([Alert.objects.get(pk=d1.alert_id)], officer)
    services.close_case(fraud_case, officer, outcome="confirmed_fraud", loss=15_000_000)
    fp_case = services.open_case([Alert.objects.get(pk=d2.alert_id)], officer)
    services.close_case(fp_case, officer, outcome="false_positive")
    assert d3.outcome == "approve"
    report = backtest.run(version, start - dt.timedelta(minutes=1), start + dt.timedelta(minutes=1))
    assert (report.rules[0].hits, report.rules[0].confirmed, report.rules[0].false_positive) == (2, 1, 1)
    assert (report.confirmed_caught, report.confirmed_total) == (1, 1)
    assert report.decisions == {"review": 2, "approve": 1}
    # a draft that trusts Turkey: the false positive goes away, the fraud is still caught
    draft = services.new_draft(other)
    services.add_rule(
        draft, other, code="abroad", kind="location_abroad", outcome="hold", params={"countries": "KZ,TR"}
    )
    report = backtest.run(draft, start - dt.timedelta(minutes=1), start + dt.timedelta(minutes=1))
    assert (report.false_positive_flagged, report.confirmed_caught) == (0, 1)
    assert report.decisions == {"hold": 1, "approve": 2}


def test_the_command_prints_the_report(capsys):
    version = activate([{"code": "abroad", "kind": "location_abroad", "outcome": "review"}])
    services.evaluate("login", attributes={"country": "NG"})
    today = timezone.localdate().isoformat()
    call_command("backtest_rules", str(version.version), "--from", today, "--to", today)
    out = capsys.readouterr().out
    assert "abroad" in out and "review 1" in out
    with pytest.raises(CommandError):
        call_command("backtest_rules", "999", "--from", today, "--to", today)
    with pytest.raises(CommandError):
        call_command("backtest_rules", str(version.version), "--from", "yesterday", "--to", today)
