"""A client's journey through /api/v1 only, from a bound app instance (R-MOB-1, R-ONB-8, R-CAB-1):
register with the device key, pass the (injected) biometric check, renew the token, apply and
submit; every money call carries a proof and records the location, the decision is pushed."""

from __future__ import annotations

import re

import pytest

from qaryz.access import stepup
from qaryz.devices.models import Device, OperationLocation
from qaryz.devices.testing import App
from qaryz.lending.tests.factories import make_iin
from qaryz.messaging.models import EmbeddedPush, EmbeddedSms

pytestmark = [pytest.mark.django_db]
PASSWORD = "Qaryz-Journey-Password-2026"


def _code(phone: str) -> str:
    return re.search(
        r"\b(\d{6})\b", EmbeddedSms.objects.filter(phone=phone).order_by("-id").first().text
    ).group(1)


@pytest.mark.req("R-MOB-1", "R-ONB-8", "R-CAB-1", "R-CAB-4")
def test_register_sign_in_and_apply_with_a_bound_device(
    client, lending_setup, monkeypatch, django_capture_on_commit_callbacks
):
    app = App(client, version="1.0.0")
    phone = "+77015559911"
    started = client.post(
        "/api/v1/access/register",
        {
            "kind": "entrepreneur",
            "iin": make_iin("900214", "3", 1),
            "surname": "Ахметов",
            "given_name": "Нурлан",
            "phone": phone,
            "pd_consent": True,
            "address": "г. Алматы, ул. Абая, 10, кв. 5",
            "language": "kk",
        },
        content_type="application/json",
    )
    assert started.status_code == 200, started.content
    verified = client.post(
        "/api/v1/access/register/verify",
        {"challenge_id": started.json()["challenge_id"], "code": _code(phone)},
        content_type="application/json",
    )
    done = app.sign_in(
        "/api/v1/access/register/complete",
        {
            "registration_token": verified.json()["registration_token"],
            "password": PASSWORD,
            "device_id": "Galaxy",
        },
    )
    assert (
        done.status_code == 200
        and done.json()["token_type"] == "DPoP"
        and done.json()["status"] == "registered"
    )
    device = Device.objects.get(public_id=app.device_id)
    assert device.client.phone == phone and device.name == "Galaxy"
    assert app.call("PUT", "/api/v1/devices/current", {"push_token": "fcm-journey"}).status_code == 200

    # The biometric check is the biometrics room's (its own tests drive it); here it is injected.
    monkeypatch.setattr(stepup, "biometric_check", lambda client, purpose, within: "bio-1")
    monkeypatch.setattr(stepup, "consume_biometric", lambda ref: None)
    me = app.call("GET", "/api/v1/access/me")
    assert me.status_code == 200 and me.json()["status"] == "confirmed", me.content

    # A stolen copy of the token is useless without the key; the app renews its pair.
    assert client.get("/api/v1/access/me", HTTP_AUTHORIZATION=f"Bearer {app.access}").status_code == 401
    assert app.renew().status_code == 200

    created = app.call(
        "POST",
        "/api/v1/applications",
        {"product": "online", "amount": "250000", "term_months": 9, "method": "annuity"},
    )
    assert created.status_code == 201, created.content
    app_id = created.json()["id"]
    texts = app.call("GET", f"/api/v1/applications/{app_id}/disclosures").json()
    app.location = "denied"  # the client refused the permission half-way
    for item in texts:
        assert (
            app.call(
                "POST", f"/api/v1/applications/{app_id}/acknowledgements", {"key": item["key"]}
            ).status_code
            == 200
        )
    app.location = "lat=51.128;lon=71.43;acc=35"
    disbursement = {"method": "card", "card": "4111111111111111"}
    assert app.call("POST", f"/api/v1/applications/{app_id}/disbursement", disbursement).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        submitted = app.call(
            "POST",
            f"/api/v1/applications/{app_id}/submit",
            {"monthly_income": "700000", "bureau_consent": True, "idempotency_key": f"journey-{app_id}"},
        )
    assert submitted.status_code == 200 and submitted.json()["status"] == "approved", submitted.content
    locations = list(OperationLocation.objects.filter(device=device).order_by("pk"))
    assert len(locations) == 2 + len(texts) + 1
    assert {loc.status for loc in locations[1 : 1 + len(texts)]} == {"denied"}
    assert locations[-1].reference == f"application:{app_id}" and float(locations[-1].latitude) == 51.128
    pushed = list(EmbeddedPush.objects.filter(device_token="fcm-journey").values_list("data", flat=True))
    assert {"kind": "lending.application"} in pushed
    assert app.call("POST", "/api/v1/access/logout").status_code == 200
    assert app.renew().status_code == 401
