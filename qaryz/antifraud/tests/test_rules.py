"""Each built-in rule kind hits when its condition holds and not otherwise (R-AF-1)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from qaryz.access.testing import make_client
from qaryz.antifraud import services
from qaryz.antifraud.models import Alert, Event, Hit
from qaryz.antifraud.tests.helpers import activate

pytestmark = [pytest.mark.django_db, pytest.mark.req("R-AF-1")]


def ev(kind, client=None, **attrs):
    return services.evaluate(kind, client=client, attributes=attrs)


@pytest.mark.parametrize(
    "kind,attr,value",
    [
        ("velocity_iin", "iin", "900101300011"),
        ("velocity_phone", "phone", "+77011112233"),
        ("velocity_device", "device_id", "dev-1"),
        ("velocity_ip", "ip", "10.1.2.3"),
        ("velocity_iban", "iban", "KZ86125KZT5004100100"),
    ],
)
def test_velocity_counts_events_in_the_window(kind, attr, value):
    activate(
        [{"code": "v", "kind": kind, "outcome": "review", "params": {"threshold": 3, "window_minutes": 10}}]
    )
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert ev("login", **{attr: value}).hits == []
        assert ev("login", **{attr: value}).hits == []
        third = ev("login", **{attr: value})
        assert third.hits == ["v"] and third.outcome == "review"
        assert ev("login", **{attr: "other-value"}).hits == []
    assert Hit.objects.get(event_id=third.event_id).detail == {"count": 3}
    assert Alert.objects.filter(event_id=third.event_id, outcome="review").exists()
    with time_machine.travel(start + dt.timedelta(minutes=11), tick=False):
        assert ev("login", **{attr: value}).hits == []  # the earlier three left the window


def test_velocity_counts_only_the_rules_events():
    activate(
        [
            {
                "code": "v",
                "kind": "velocity_ip",
                "outcome": "review",
                "event_kinds": ["application"],
                "params": {"threshold": 2, "window_minutes": 60},
            }
        ]
    )
    ev("login", ip="10.0.0.9")
    ev("login", ip="10.0.0.9")
    assert ev("application", ip="10.0.0.9").hits == []
    assert ev("application", ip="10.0.0.9").hits == ["v"]


@pytest.mark.parametrize("kind,attr", [("shared_iban", "iban"), ("shared_device", "device_id")])
def test_shared_by_several_clients(kind, attr):
    activate([{"code": "s", "kind": kind, "outcome": "hold", "params": {"min_clients": 3}}])
    a, b, c = make_client(), make_client(), make_client()
    ev("bank_change", a, **{attr: "KZ000SHARED"})
    ev("bank_change", a, **{attr: "KZ000SHARED"})  # the same client twice counts once
    assert ev("bank_change", b, **{attr: "KZ000SHARED"}).hits == []
    third = ev("payout", c, **{attr: "KZ000SHARED"})
    assert third.hits == ["s"] and third.outcome == "hold" and third.hold_id


def test_phone_changed_shortly_before_an_application():
    activate(
        [
            {
                "code": "p",
                "kind": "phone_changed_recently",
                "outcome": "review",
                "params": {"window_minutes": 60},
            }
        ]
    )
    client, other = make_client(), make_client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ev("phone_change", client, new_phone="+77019998877")
    with time_machine.travel(start + dt.timedelta(minutes=30), tick=False):
        assert ev("application", client).hits == ["p"]
        assert ev("application", other).hits == []
        assert ev("login", client).hits == []  # the kind applies to applications only
    with time_machine.travel(start + dt.timedelta(minutes=61), tick=False):
        assert ev("application", client).hits == []


def test_several_applications_within_an_hour():
    activate([{"code": "a", "kind": "applications_per_hour", "outcome": "hold", "params": {"threshold": 3}}])
    client = make_client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ev("application", client)
    with time_machine.travel(start + dt.timedelta(minutes=20), tick=False):
        ev("application", client)
        ev("login", client)
    with time_machine.travel(start + dt.timedelta(minutes=40), tick=False):
        assert ev("application", client).hits == ["a"]
    with time_machine.travel(start + dt.timedelta(minutes=90), tick=False):
        assert ev("application", client).hits == []  # 20 and 40 min ago: two of three


def test_location_far_from_the_usual():
    activate([{"code": "far", "kind": "location_far", "outcome": "review", "params": {"distance_km": 300}}])
    client = make_client()
    assert ev("login", client, lat=43.24, lon=76.89).hits == []  # Almaty: no history yet
    assert ev("login", client, lat=43.25, lon=76.95).hits == []
    assert ev("login", client).hits == []  # no location: nothing to compare
    far = ev("login", client, lat=51.17, lon=71.43)  # Astana, ~970 km
    assert far.hits == ["far"]
    assert 900 < Hit.objects.get(event_id=far.event_id).detail["km"] < 1050
    assert ev("login", make_client(), lat=51.17, lon=71.43).hits == []  # another client: own history


def test_location_abroad():
    activate(
        [
            {
                "code": "abroad",
                "kind": "location_abroad",
                "outcome": "review",
                "params": {"countries": "KZ, kg"},
            }
        ]
    )
    assert ev("login", country="KZ").hits == []
    assert ev("login", country="kg").hits == []
    assert ev("login").hits == []  # country unknown
    assert ev("login", country="NG").hits == ["abroad"]


def test_device_integrity_signals():
    activate(
        [
            {
                "code": "dev",
                "kind": "device_integrity",
                "outcome": "decline",
                "params": {"flags": "rooted,emulator"},
            }
        ]
    )
    assert ev("login", rooted=False).hits == []
    assert ev("login", debugger=True).hits == []  # not a flag of this rule
    assert ev("login", rooted=True).outcome == "decline"
    assert ev("login", device_flags=["emulator"]).hits == ["dev"]


def test_data_leak_flag():
    activate([{"code": "leak", "kind": "data_leak", "outcome": "hold"}])
    assert ev("signing", data_leak_flagged=False).hits == []
    assert ev("signing", data_leak_flagged="yes").hits == []  # only a real flag counts
    assert ev("signing", data_leak_flagged=True).outcome == "hold"


def test_source_mismatch_blocks():
    activate(
        [{"code": "mm", "kind": "source_mismatch", "outcome": "decline", "params": {"fields": "iin,surname"}}]
    )
    assert ev("payout", mismatched_fields=[]).hits == []
    assert ev("payout", mismatched_fields=["address"]).hits == []
    assert ev("payout", mismatched_fields=["surname"]).outcome == "decline"


def test_source_mismatch_cannot_just_approve():
    from qaryz.antifraud.tests.helpers import officers

    maker, _ = officers()
    draft = services.new_draft(maker)
    with pytest.raises(services.AntifraudError):
        services.add_rule(draft, maker, code="mm", kind="source_mismatch", outcome="review")


def test_same_face_under_different_iins(monkeypatch):
    from qaryz.biometrics import selectors
    from qaryz.biometrics.engine.index import Hit as FaceHit

    activate([{"code": "face", "kind": "same_face", "outcome": "hold", "params": {"min_clients": 2}}])
    client, twin = make_client(), make_client()
    calls = []

    def same_face_for_client(c):
        calls.append(c.pk)
        return [FaceHit(twin.pk, 0.2)] if c.pk == client.pk else []

    monkeypatch.setattr(selectors, "same_face_for_client", same_face_for_client)
    assert ev("application", make_client()).hits == []
    decision = ev("application", client)
    assert decision.hits == ["face"] and decision.outcome == "hold"
    assert Event.objects.get(pk=decision.event_id).attributes["same_face_clients"] == 1
    assert ev("registration", iin="900101300011").hits == []  # no client yet: the index is not asked
    assert len(calls) == 2


def test_weights_raise_the_outcome_by_score():
    activate(
        [
            {"code": "a", "kind": "location_abroad", "outcome": "approve", "weight": 30},
            {"code": "b", "kind": "device_integrity", "outcome": "approve", "weight": 60},
        ],
        thresholds=(25, 80, 200),
    )
    assert ev("login", country="TR").outcome == "review"  # 30 ≥ 25
    d = ev("login", country="TR", rooted=True)
    assert (d.score, d.outcome) == (90, "hold")
    assert ev("login").outcome == "approve"


def test_no_active_rule_set_stores_the_event_and_approves():
    d = ev("login", ip="10.9.9.9")
    assert d.outcome == "approve" and Event.objects.filter(pk=d.event_id, ruleset=None).exists()


def leak_register(event_kind, client, attributes):
    """Stands in for the data-leak register (another helper's room)."""
    return {"data_leak_flagged": client is not None and client.surname == "Утечкин"}


def test_enrichers_add_attributes_the_callers_do_not_know(settings):
    settings.ANTIFRAUD_ENRICHERS = ["qaryz.antifraud.tests.test_rules.leak_register"]
    activate([{"code": "leak", "kind": "data_leak", "outcome": "hold"}])
    assert ev("signing", make_client(surname="Утечкин")).outcome == "hold"
    assert ev("signing", make_client()).outcome == "approve"
    assert ev("signing", make_client(surname="Утечкин"), data_leak_flagged=False).outcome == "approve"


def test_the_data_leak_register_sets_the_flag(monkeypatch):
    import sys
    import types

    marked = make_client()
    fake = types.ModuleType("qaryz.leaks.selectors")
    fake.is_leaked = lambda client: client.pk == marked.pk
    monkeypatch.setitem(sys.modules, "qaryz.leaks", types.ModuleType("qaryz.leaks"))
    monkeypatch.setitem(sys.modules, "qaryz.leaks.selectors", fake)
    monkeypatch.setattr("qaryz.antifraud.enrichers._installed", lambda name: name == "qaryz.leaks")
    activate([{"code": "leak", "kind": "data_leak", "outcome": "hold"}])
    assert ev("payout", marked).outcome == "hold"
    assert ev("payout", make_client()).outcome == "approve"


def test_the_devices_room_supplies_integrity_reasons(monkeypatch):
    import sys
    import types

    client, other = make_client(), make_client()
    device = types.SimpleNamespace(pk=7)
    fake = types.ModuleType("qaryz.devices.selectors")
    fake.devices_for_reference = lambda reference: [device] if reference == "loan:5" else []
    fake.newest_device_integrity = lambda c: None
    fake.integrity_state = lambda d: types.SimpleNamespace(status="compromised", reasons=("hooking",))
    monkeypatch.setitem(sys.modules, "qaryz.devices", types.ModuleType("qaryz.devices"))
    monkeypatch.setitem(sys.modules, "qaryz.devices.selectors", fake)
    monkeypatch.setattr("qaryz.antifraud.enrichers._installed", lambda name: name == "qaryz.devices")
    activate([{"code": "dev", "kind": "device_integrity", "outcome": "decline"}])  # default flags
    assert services.evaluate("payout", client=client, subject="loan:5").outcome == "decline"
    assert services.evaluate("payout", client=other, subject="loan:6").outcome == "approve"
    assert "subject" not in Event.objects.filter(client=client).get().attributes


def test_a_velocity_window_does_not_hide_older_events_from_other_rules_on_the_same_key():
    # the aggregate query reads a velocity-only column from its widest window on: a sharing rule
    # on the same device, or the usual location of the same client, still sees older events
    activate(
        [
            {
                "code": "v",
                "kind": "velocity_device",
                "outcome": "review",
                "params": {"threshold": 2, "window_minutes": 10},
            },
            {"code": "s", "kind": "shared_device", "outcome": "review", "params": {"min_clients": 2}},
            {"code": "a", "kind": "applications_per_hour", "outcome": "review", "params": {"threshold": 2}},
            {"code": "far", "kind": "location_far", "outcome": "review", "params": {"distance_km": 500}},
        ]
    )
    a, b = make_client(), make_client()
    start = timezone.now()
    with time_machine.travel(start - dt.timedelta(days=3), tick=False):
        ev("login", a, device_id="dev-old", lat=43.24, lon=76.89)  # Almaty
        ev("application", b)
    with time_machine.travel(start, tick=False):
        d = ev("login", b, device_id="dev-old", lat=43.24, lon=76.89)
        assert d.hits == ["s"]  # the device's old event counts for sharing, not for velocity
        assert ev("application", b).hits == []  # the application three days ago left the hour
        far = ev("login", a, device_id="dev-new", lat=51.17, lon=71.45)  # Astana, ~970 km
        assert "far" in far.hits and "v" not in far.hits
