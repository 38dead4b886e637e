"""The cabinet's sign-in settings and the registration EDS through /api/v1/access (R-AUTH-1,
R-AUTH-6, R-ONB-4, R-CH-1): an authenticator app (its first code confirms it), security keys
(enrolled with a software authenticator: real CBOR and ECDSA; single-use challenge), back to SMS,
a key removed; the registration statement's signing request. Bad input is a 4xx with the one
error body; another client's key is "not found"."""

from __future__ import annotations

import base64
import json

import pyotp
import pytest

from qaryz.access.models import ClientCredential, WebAuthnKey
from qaryz.access.services import issue_api_token
from qaryz.access.testing import SoftAuthenticator, make_client
from qaryz.clients.models import Client
from qaryz.lending.tests.test_signing import passed_biometrics
from qaryz.signatures.models import SigningRequest
from qaryz.signatures.tests.conftest import GOOD_IIN, eds_settings, test_pki  # noqa: F401

pytestmark = pytest.mark.django_db


def _post(client, token, path, body=None, **headers):
    return client.post(
        f"/api/v1/access{path}",
        data=json.dumps(body or {}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        **headers,
    )


def _error(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"] and body["reference"]
    return body


@pytest.mark.req("R-AUTH-1", "R-AUTH-6", "R-CH-1")
def test_authenticator_app_then_back_to_sms(client):
    person = make_client()
    token, _s = issue_api_token(person)
    state = client.get("/api/v1/access/second-factor", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert state["method"] == "sms" and state["method_label"] and state["keys"] == []
    started = _post(client, token, "/second-factor/totp/start").json()
    assert started["uri"].startswith("otpauth://totp/") and started["secret"] in started["uri"]
    wrong = _post(
        client,
        token,
        "/second-factor/totp",
        {"enrolment_token": started["enrolment_token"], "code": "000000"},
    )
    _error(wrong, 400)
    forged = _post(client, token, "/second-factor/totp", {"enrolment_token": "x:y", "code": "123456"})
    _error(forged, 400)
    # Another session (even the same client's) cannot use this session's enrolment.
    other_token, _s2 = issue_api_token(person)
    code = pyotp.TOTP(started["secret"]).now()
    body = {"enrolment_token": started["enrolment_token"], "code": code}
    _error(_post(client, other_token, "/second-factor/totp", body), 400)
    done = _post(client, token, "/second-factor/totp", body)
    assert done.status_code == 200 and done.json()["method"] == "totp"
    assert ClientCredential.objects.get(client=person).totp_secret == started["secret"]
    back = _post(client, token, "/second-factor/sms")
    assert back.json()["method"] == "sms" and ClientCredential.objects.get(client=person).totp_secret == ""


@pytest.mark.req("R-AUTH-1", "R-AUTH-6", "R-CH-1")
def test_security_key_enrolment_switch_and_removal(client, audited):
    person = make_client()
    token, _s = issue_api_token(person)
    key = SoftAuthenticator()
    options = _post(client, token, "/second-factor/keys/options").json()
    assert options["publicKey"]["rp"]["id"] == "testserver"
    answer = {
        "enrolment_token": options["enrolment_token"],
        "credential": key.create(options["publicKey"]),
        "name": "Телефон",
    }
    enrolled = _post(client, token, "/second-factor/keys", answer)
    assert enrolled.status_code == 200, enrolled.content
    assert enrolled.json()["method"] == "webauthn" and [k["name"] for k in enrolled.json()["keys"]] == [
        "Телефон"
    ]
    # The same answer again: the challenge is used up, as on the web.
    _error(_post(client, token, "/second-factor/keys", answer), 400)
    evil = _post(client, token, "/second-factor/keys/options").json()
    bad_origin = {
        "enrolment_token": evil["enrolment_token"],
        "credential": SoftAuthenticator().create(evil["publicKey"], origin="https://evil.example"),
    }
    _error(_post(client, token, "/second-factor/keys", bad_origin), 400)
    assert WebAuthnKey.objects.filter(client=person).count() == 1
    assert "access.webauthn_enrol_failed" in audited()
    assert _post(client, token, "/second-factor/sms").json()["method"] == "sms"
    assert _post(client, token, "/second-factor/keys/use").json()["method"] == "webauthn"
    key_id = enrolled.json()["keys"][0]["id"]
    stranger, _s2 = issue_api_token(make_client())
    _error(_post(client, stranger, f"/second-factor/keys/{key_id}/remove"), 404)
    _error(_post(client, stranger, "/second-factor/keys/use"), 400)  # no keys of their own
    removed = _post(client, token, f"/second-factor/keys/{key_id}/remove")
    assert removed.json() == {"method": "sms", "method_label": removed.json()["method_label"], "keys": []}


@pytest.mark.req("R-ONB-4", "R-CH-1")
def test_registration_signing_request_through_the_api(client):
    person = make_client(status=Client.Status.REGISTERED)
    token, _s = issue_api_token(person)
    first = _post(client, token, "/register/signing")
    assert first.status_code == 200, first.content
    request_id = first.json()["signing_request_id"]
    signing = SigningRequest.objects.get(pk=request_id)
    assert signing.client == person and signing.purpose == "registration"
    # The same request while it can still be signed; the app fetches it from the signatures API.
    assert _post(client, token, "/register/signing").json()["signing_request_id"] == request_id
    fetched = client.get(f"/api/v1/signatures/requests/{request_id}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert fetched.status_code == 200
    confirmed, _s2 = issue_api_token(make_client())
    _error(_post(client, confirmed, "/register/signing", HTTP_ACCEPT_LANGUAGE="en"), 400)


@pytest.mark.req("R-ONB-4", "R-ONB-8", "R-CH-1")
def test_registration_confirmed_through_the_api_with_eds_and_biometrics(client, eds_settings):  # noqa: F811
    person = make_client(status=Client.Status.REGISTERED, iin=GOOD_IIN, surname="Сапаров", given_name="Аскар")
    token, _s = issue_api_token(person)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    request_id = _post(client, token, "/register/signing").json()["signing_request_id"]
    fetched = client.get(f"/api/v1/signatures/requests/{request_id}", **auth).json()
    payload = base64.b64decode(fetched["payload_base64"])
    cms = base64.b64encode(eds_settings.pki.sign(eds_settings.good.label, payload, detached=False)).decode()
    submitted = client.post(
        f"/api/v1/signatures/requests/{request_id}/submit",
        {"cms": cms},
        content_type="application/json",
        **auth,
    )
    assert submitted.status_code == 200, submitted.content
    me = client.get("/api/v1/access/me", **auth).json()
    assert me["eds_done"] is True and me["biometrics_done"] is False and me["status"] == "registered"
    passed_biometrics(person, "registration")
    me = client.get("/api/v1/access/me", **auth).json()
    assert me["status"] == "confirmed", me
