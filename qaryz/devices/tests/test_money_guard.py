"""Lending and money functions through the API (R-MOB-1): the version policy, the integrity block
and the location (or the refused permission) recorded with every money operation."""

from __future__ import annotations

import pytest

from qaryz.devices import services
from qaryz.devices.adapters.embedded import EmbeddedAttestationVerifier
from qaryz.devices.models import Device, IntegrityReport, OperationLocation
from qaryz.devices.selectors import integrity_state
from qaryz.devices.testing import App

pytestmark = [pytest.mark.django_db, pytest.mark.req("R-MOB-1")]
APPLY = "/api/v1/applications"
BODY = {"product": "online", "amount": "250000", "term_months": 9, "method": "annuity"}
POLICY = {"android": {"min": "1.4.0", "latest": "1.6.0"}, "ios": {"min": "2.0", "latest": "2.1"}}


@pytest.fixture
def policy(settings):
    settings.APP_VERSION_POLICY = POLICY


@pytest.mark.parametrize(
    ("platform", "version", "available", "required"),
    [
        ("android", "1.6.0", False, False),
        ("android", "1.5.9", True, False),
        ("android", "1.3.12", True, True),
        ("android", "1.10.0", False, False),  # numeric, not text, comparison
        ("ios", "2.0.0-beta+77", True, False),
        ("ios", "1.9", True, True),
    ],
)
def test_version_endpoint(client, policy, platform, version, available, required):
    answer = client.get(f"/api/v1/devices/version?platform={platform}&version={version}")
    body = answer.json()
    assert answer.status_code == 200
    assert (body["update_available"], body["update_required"]) == (available, required)
    assert body["min_supported"] == POLICY[platform]["min"] and body["store_url"].startswith("https://")


def test_version_endpoint_reads_headers_and_refuses_nonsense(client, policy):
    answer = client.get("/api/v1/devices/version", HTTP_X_APP_PLATFORM="android", HTTP_X_APP_VERSION="1.0")
    assert answer.json()["update_required"] is True
    assert client.get("/api/v1/devices/version?platform=symbian&version=1").status_code == 422
    assert client.get("/api/v1/devices/version?platform=android&version=one").status_code == 422


def test_outdated_app_gets_update_required_in_its_language(client, signed_in_app, policy, lending_setup):
    _person, app = signed_in_app(App(client, version="1.4.0"))
    app.version = "1.3.0"
    for language, word in (("ru", "Обновите"), ("kk", "жаңартыңыз")):
        answer = app.call("POST", APPLY, BODY, HTTP_ACCEPT_LANGUAGE=language)
        assert answer.status_code == 426, answer.content
        assert answer.json()["error"] == "update_required" and word in answer.json()["detail"]
    assert not OperationLocation.objects.exists()  # refused before anything was recorded
    # Reading stays possible; a supported version may apply.
    assert app.call("GET", "/api/v1/servicing/loans").status_code == 200
    app.version = "1.4.0"
    assert app.call("POST", APPLY, BODY).status_code == 201


def test_unbound_clients_without_version_header_are_not_blocked(client, policy, lending_setup):
    from qaryz.access.services import issue_api_token
    from qaryz.lending.tests.factories import make_client

    token, _session = issue_api_token(make_client())
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.post(APPLY, BODY, content_type="application/json", **auth).status_code == 201
    refused = client.post(
        APPLY,
        BODY,
        content_type="application/json",
        HTTP_X_APP_PLATFORM="ios",
        HTTP_X_APP_VERSION="1.0",
        **auth,
    )
    assert refused.status_code == 426


def _report(app: App, **signals) -> dict:
    nonce = app.call("POST", "/api/v1/devices/current/integrity/nonce").json()["nonce"]
    token = EmbeddedAttestationVerifier().attest(nonce, app.device_id, platform="android")
    answer = app.call(
        "POST", "/api/v1/devices/current/integrity", {"nonce": nonce, "attestation_token": token, **signals}
    )
    assert answer.status_code == 200, answer.content
    return answer.json()


@pytest.mark.parametrize("signal", services.SIGNALS)
def test_a_bad_signal_blocks_lending_on_that_device(client, signed_in_app, lending_setup, audited, signal):
    person, app = signed_in_app()
    verdict = _report(app, **{signal: True})
    assert verdict["status"] == "compromised" and verdict["blocked"] and signal in verdict["reasons"]
    answer = app.call("POST", APPLY, BODY, HTTP_ACCEPT_LANGUAGE="kk")
    assert answer.status_code == 403 and answer.json()["error"] == "device_integrity"
    assert "қауіп" in answer.json()["detail"]
    assert "devices.integrity_reported" in audited() and "devices.operation_blocked" in audited()
    assert integrity_state(Device.objects.get(client=person)).blocked
    # Another device of the same client is not blocked.
    _same, other = signed_in_app(App(client), person=person)
    assert other.call("POST", APPLY, BODY).status_code == 201
    # A clean report unblocks the first one.
    assert _report(app)["status"] == "ok"
    assert app.call("POST", APPLY, BODY).status_code == 201


def test_attestation_is_checked_through_the_verifier(client, signed_in_app, lending_setup):
    _person, app = signed_in_app()
    sim = EmbeddedAttestationVerifier()
    assert _report(app)["status"] == "ok"
    path = "/api/v1/devices/current/integrity"
    nonce = lambda: app.call("POST", path + "/nonce").json()["nonce"]  # noqa: E731

    def reasons(body):
        return app.call("POST", path, body).json()["reasons"]

    assert reasons({}) == ["attestation_missing"]
    assert reasons({"nonce": nonce(), "attestation_token": "sim.not-issued-by-the-service"}) == [
        "attestation_invalid"
    ]
    n = nonce()
    foreign = sim.attest(n, "another-device")
    assert reasons({"nonce": n, "attestation_token": foreign}) == ["attestation_mismatch"]
    n = nonce()
    good = sim.attest(n, app.device_id)
    assert reasons({"nonce": n, "attestation_token": good}) == []
    assert reasons({"nonce": n, "attestation_token": good}) == ["attestation_nonce"]  # a nonce works once
    sim.mark_compromised(app.device_id)
    n = nonce()
    assert "attestation_device" in reasons({"nonce": n, "attestation_token": sim.attest(n, app.device_id)})
    assert app.call("POST", APPLY, BODY).json()["error"] == "device_integrity"
    assert IntegrityReport.objects.filter(status="compromised").count() == 5


def test_unreachable_verifier_is_not_a_pass(client, signed_in_app, settings):
    settings.DEVICE_ATTESTATION_VERIFIER = "qaryz.devices.adapters.http.HttpAttestationVerifier"
    settings.DEVICE_ATTESTATION_URL = "http://127.0.0.1:9/verify"
    _person, app = signed_in_app()
    nonce = app.call("POST", "/api/v1/devices/current/integrity/nonce").json()["nonce"]
    body = {"nonce": nonce, "attestation_token": "anything"}
    answer = app.call("POST", "/api/v1/devices/current/integrity", body).json()
    assert answer["reasons"] == ["attestation_unavailable"] and answer["blocked"]


def test_integrity_required_setting_blocks_unchecked_devices(client, signed_in_app, settings, lending_setup):
    settings.DEVICE_INTEGRITY_REQUIRED = True
    _person, app = signed_in_app()
    assert app.call("POST", APPLY, BODY).json()["error"] == "integrity_check_required"
    _report(app)
    assert app.call("POST", APPLY, BODY).status_code == 201


def test_location_is_recorded_with_the_operation(client, signed_in_app, lending_setup):
    person, app = signed_in_app()
    answer = app.call("POST", APPLY, BODY)
    assert answer.status_code == 201
    app_id = answer.json()["id"]
    app.location = "denied"
    assert app.call("POST", f"{APPLY}/{app_id}/acknowledgements", {"key": "rules"}).status_code == 200
    rows = list(OperationLocation.objects.order_by("pk"))
    assert [(r.operation, r.status) for r in rows] == [("application", "reported"), ("application", "denied")]
    assert (
        str(rows[0].latitude) == "43.238949"
        and rows[0].accuracy_m == 20.0
        and rows[0].device.client == person
    )
    assert rows[1].reference == f"application:{app_id}" and rows[1].latitude is None and rows[0].request_id
    from qaryz.devices.selectors import devices_for_reference

    assert [d.public_id for d in devices_for_reference(f"application:{app_id}")] == [app.device_id]


@pytest.mark.parametrize("header", ["", "lat=91;lon=10", "lat=43.2", "somewhere", "lat=1;lon=2;acc=-5"])
def test_a_bound_device_must_say_where_it_is(client, signed_in_app, lending_setup, header):
    _person, app = signed_in_app()
    app.location = header
    answer = app.call("POST", APPLY, BODY)
    assert answer.status_code == 400 and answer.json()["error"] == "location_required"
    assert not OperationLocation.objects.exists()


def test_operations_are_classified():
    assert services.classify("/api/v1/applications/7/contract/sign") == ("signing", "application:7")
    assert services.classify("/api/v1/applications/7/contract/amendments/2/signing") == (
        "signing",
        "application:7",
    )
    assert services.classify("/api/v1/servicing/loans/5/payout") == ("payout", "loan:5")
    assert services.classify("/api/v1/servicing/loans/5/early-repayment") == ("repayment", "loan:5")
    assert services.classify("/api/v1/servicing/loans/5/early-repayment/quote") == ("other", "loan:5")
    assert services.classify("/api/v1/servicing/loans/5/payout/consent") == ("payout", "loan:5")
    assert services.classify("/api/v1/applications") == ("application", "")


def test_unbound_token_location_is_recorded_as_not_reported(client, lending_setup, settings):
    from qaryz.access.services import issue_api_token
    from qaryz.lending.tests.factories import make_client

    token, _session = issue_api_token(make_client())
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.post(APPLY, BODY, content_type="application/json", **auth).status_code == 201
    assert OperationLocation.objects.get().status == "not_reported"
    settings.DEVICE_BINDING_REQUIRED = True
    answer = client.post(APPLY, BODY, content_type="application/json", **auth)
    assert answer.status_code == 403 and answer.json()["error"] == "device_binding_required"
