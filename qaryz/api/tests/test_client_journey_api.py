"""A new client's journey through /api/v1 only (R-CH-1): register, confirm the registration with
the EDS (a real CMS from a test-PKI certificate, through the signatures API) and a biometric check,
read the MFO's details, choose a product from its offers, apply, sign the contract the same way,
find the loan and its payout (consent given; the money waits for the cooling-off period), write to
the MFO and read the notifications – the web cabinet's path, no page involved.

The biometric pipeline (frames, liveness, face match) is the biometrics room's and is tested there;
here a passed verification is recorded as it records one (``passed_biometrics``)."""

from __future__ import annotations

import base64
import json
import re

import pytest

from qaryz.access.pytest_fixtures import _outbox_file, outbox  # noqa: F401
from qaryz.access.testing import make_iin
from qaryz.lending.tests.conftest import _fresh_bureau_memory, lending_setup  # noqa: F401
from qaryz.lending.tests.test_signing import passed_biometrics
from qaryz.signatures.tests.conftest import eds_settings, test_pki  # noqa: F401

pytestmark = pytest.mark.django_db
PHONE = "+77015550123"


class App:
    """The mobile app: JSON calls with its bearer token."""

    def __init__(self, client):
        self.client = client
        self.token = ""

    def call(self, method, path, body=None, status=200):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}
        if body is None:
            response = getattr(self.client, method)(f"/api/v1{path}", **headers)
        else:
            response = getattr(self.client, method)(
                f"/api/v1{path}", data=json.dumps(body), content_type="application/json", **headers
            )
        assert response.status_code == status, (path, response.content)
        return response.json() if response["Content-Type"].startswith("application/json") else response

    def sign(self, pki, key, request_id):
        payload = base64.b64decode(self.call("get", f"/signatures/requests/{request_id}")["payload_base64"])
        cms = base64.b64encode(pki.pki.sign_with(key, payload, detached=False)).decode()
        assert self.call("post", f"/signatures/requests/{request_id}/submit", {"cms": cms})["accepted"]


@pytest.mark.req("R-CH-1", "R-ONB-8", "R-CAB-1", "R-CAB-2", "R-CAB-4", "R-SIGN-1", "R-CAB-7", "R-MOB-1")
def test_register_apply_sign_and_write_through_the_api_only(client, outbox, lending_setup, eds_settings):  # noqa: F811
    from qaryz.clients.models import Client

    app = App(client)
    iin = make_iin("880303")
    eds = eds_settings.pki.issue_client(iin=iin, surname="САПАРОВ", given_name="АСКАР", store=False)
    consent = app.call("get", "/access/register/consent?language=ru")
    challenge = app.call(
        "post",
        "/access/register",
        {
            "kind": "individual",
            "iin": iin,
            "surname": "Сапаров",
            "given_name": "Аскар",
            "phone": PHONE,
            "address": "г. Алматы, ул. Абая, 10, кв. 5",
            "pd_consent": True,
            "consent_sha256": consent["sha256"],
        },
    )["challenge_id"]
    code = re.search(r"\b(\d{6})\b", outbox(PHONE)[-1].text).group(1)
    registration = app.call("post", "/access/register/verify", {"challenge_id": challenge, "code": code})
    app.token = app.call(
        "post",
        "/access/register/complete",
        {"registration_token": registration["registration_token"], "password": "Journey-Password-2027"},
    )["access_token"]
    assert app.call("get", "/access/me")["status"] == "registered"
    app.call("get", "/applications", status=401)  # not before the registration is confirmed
    app.sign(eds_settings, eds, app.call("post", "/access/register/signing")["signing_request_id"])
    person = Client.objects.get(phone=PHONE)
    passed_biometrics(person, "registration")
    assert app.call("get", "/access/me")["status"] == "confirmed"

    assert app.call("get", "/cabinet/mfo")["legal_name"]
    product = app.call("get", "/products")[0]
    offers = app.call("post", f"/products/{product['code']}/offers", {"amount": "250000", "term_months": 9})
    method = offers[0]["method"]
    application = app.call(
        "post",
        "/applications",
        {"product": product["code"], "amount": "250000", "term_months": 9, "method": method},
        status=201,
    )
    base = f"/applications/{application['id']}"
    for text in app.call("get", f"{base}/disclosures"):
        app.call("post", f"{base}/acknowledgements", {"key": text["key"]})
    app.call("post", f"{base}/disbursement", {"method": "bank_account", "iban": "KZ86125KZT5004100100"})
    decided = app.call(
        "post",
        f"{base}/submit",
        {"monthly_income": "700000", "bureau_consent": True, "idempotency_key": "j-1"},
    )
    assert decided["status"] == "approved", decided
    assert [a["status"] for a in app.call("get", "/applications")] == ["approved"]

    contract = app.call("get", f"{base}/contract")  # drawn up on first view, as the contract page
    assert contract["status"] == "draft" and contract["address_required"] is False
    signing = app.call("post", f"{base}/contract/signing")
    app.sign(eds_settings, eds, signing["signing_request_id"])
    passed_biometrics(person, signing["biometrics_purpose"])
    assert app.call("post", f"{base}/contract/sign")["status"] == "signed"
    history = app.call("get", f"{base}/history")
    assert history[-1]["status"] == "signed" and history[-1]["status_label"]
    assert app.call("get", f"{base}/contract.pdf").content.startswith(b"%PDF")
    loans = app.call("get", "/servicing/loans")
    assert [loan["application_id"] for loan in loans] == [application["id"]]
    payout = app.call("get", f"/servicing/loans/{loans[0]['id']}/payout")
    assert payout["method"] == "bank_account" and payout["cooling_off_over"] is False
    assert payout["can_request"] is False
    if payout["consent_required"]:
        consented = app.call("post", f"/servicing/loans/{loans[0]['id']}/payout/consent")
        assert consented["consent_given"] is True

    topic = app.call("get", "/correspondence/topics")[0]["code"]
    letter = app.call(
        "post",
        "/correspondence/threads",
        {"subject": "Договор", "topic": topic, "body": "Спасибо"},
        status=201,
    )
    assert [t["id"] for t in app.call("get", "/correspondence/threads")] == [letter["id"]]
    assert app.call("get", "/messages/notifications")["items"]  # e.g. the approval and the signature
