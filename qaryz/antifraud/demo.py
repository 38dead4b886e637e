"""Antifraud demo (issue 14 item 2): a second security officer ``security2`` (the checker of rule
versions), an active rule set v1 made by ``security`` and approved by ``security2``, and a few
evaluated events of the demo clients – an alert to review, a held bank-details change awaiting a
decision, a declined sign-in from a rooted phone and an open case. Idempotent."""

from __future__ import annotations

from typing import TextIO

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from qaryz.access.demo import DEMO_STAFF_PASSWORD
from qaryz.access.models import StaffSecurity
from qaryz.antifraud import services
from qaryz.antifraud.models import Alert, RuleSet
from qaryz.clients.models import Client

RULES = [
    ("iin-10m", "velocity_iin", "review", 20, {"threshold": 5, "window_minutes": 10}, []),
    ("phone-1h", "velocity_phone", "review", 20, {"threshold": 10, "window_minutes": 60}, []),
    ("device-1h", "velocity_device", "review", 20, {"threshold": 10, "window_minutes": 60}, []),
    (
        "ip-10m",
        "velocity_ip",
        "review",
        20,
        {"threshold": 20, "window_minutes": 10},
        ["login", "registration"],
    ),
    ("iban-1d", "velocity_iban", "review", 20, {"threshold": 5, "window_minutes": 1440}, []),
    ("iban-shared", "shared_iban", "hold", 60, {"min_clients": 2}, ["bank_change", "application", "payout"]),
    ("device-shared", "shared_device", "review", 30, {"min_clients": 4}, []),
    ("phone-new", "phone_changed_recently", "review", 40, {"window_minutes": 1440}, []),
    ("apps-hour", "applications_per_hour", "hold", 60, {"threshold": 3, "window_minutes": 60}, []),
    ("far", "location_far", "review", 30, {"distance_km": 800}, []),
    ("abroad", "location_abroad", "review", 40, {"countries": ["KZ"]}, []),
    (
        "rooted",
        "device_integrity",
        "decline",
        100,
        {"flags": ["rooted", "emulator", "hooking", "remote_control"]},
        [],
    ),
    ("face", "same_face", "hold", 100, {"min_clients": 2}, ["application", "signing"]),
    ("leak", "data_leak", "hold", 80, {}, ["signing", "payout", "phone_change", "bank_change"]),
    ("mismatch", "source_mismatch", "decline", 150, {}, []),
]
TITLES = {
    "iin-10m": "Много операций по одному ИИН за 10 минут",
    "iban-shared": "Счёт уже указан другим клиентом",
    "abroad": "Вход из-за рубежа",
    "rooted": "Взломанное устройство",
    "leak": "Данные клиента утекли",
}


def _checker() -> object:
    User = get_user_model()
    user = User.objects.filter(username="security2").first()
    if user is None:
        user = User.objects.create_user(username="security2", password=DEMO_STAFF_PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name="security"))
        StaffSecurity.objects.create(user=user, phone="+77000000099")
    return user


def load_demo(out: TextIO) -> None:
    maker = get_user_model().objects.filter(username="security").first()
    if maker is None:
        out.write("antifraud demo: no demo security officer, skipped\n")
        return
    checker = _checker()
    out.write(
        f"staff security2 (checker of antifraud rules): user security2, password {DEMO_STAFF_PASSWORD}\n"
    )
    if RuleSet.objects.exists():
        out.write(f"antifraud demo: {Alert.objects.count()} alerts already there\n")
        return
    draft = services.new_draft(maker, note="Базовые правила")
    for code, kind, outcome, weight, params, events in RULES:
        services.add_rule(
            draft,
            maker,
            code=code,
            kind=kind,
            outcome=outcome,
            weight=weight,
            params=params,
            event_kinds=events,
            title=TITLES.get(code, ""),
        )
    services.submit(draft, maker)
    services.approve(draft, checker)
    clients = list(Client.objects.filter(status=Client.Status.CONFIRMED).order_by("id")[:3])
    first = clients[0] if clients else None
    second = clients[1] if len(clients) > 1 else None
    services.evaluate(
        "login", client=first, attributes={"ip": "10.20.0.5", "lat": 43.24, "lon": 76.89, "country": "KZ"}
    )
    review = services.evaluate(
        "login", client=first, attributes={"ip": "85.105.3.7", "country": "TR", "lat": 41.01, "lon": 28.97}
    )
    services.evaluate("bank_change", client=first, attributes={"iban": "KZ75125KZT2069100100"})
    held = services.evaluate(
        "bank_change", client=second, attributes={"iban": "KZ75125KZT2069100100"}, subject="stepup:demo"
    )
    services.evaluate("login", client=second, attributes={"device_id": "demo-rooted", "rooted": True})
    if review.alert_id:
        services.open_case([Alert.objects.get(pk=review.alert_id)], maker, assign_to=maker)
    out.write(
        "antifraud demo: rule set v1 active (made by security, approved by security2); alerts "
        f"{Alert.objects.count()}, held operation {'yes' if held.hold_id else 'no'} – back office user "
        "security → Antifraud\n"
    )
