"""The whole client journey through /api/v1 from a bound app instance (R-CH-1, R-MOB-1): register
with the device key, confirm with the EDS and a biometric check, apply, sign the contract, wait out
the cooling-off, ask for the payout, see the loan paid out, repay by card, read the payment with its
receipt and quote an early repayment, write to the MFO – every call with the DPoP-bound token and a
fresh proof of the device key; the same token without the key is refused.

The biometric pipeline is the biometrics room's (tested there); here a passed verification is
recorded as it records one (``passed_biometrics``)."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone

from qaryz.access.pytest_fixtures import _outbox_file, outbox  # noqa: F401
from qaryz.access.testing import make_iin
from qaryz.devices.testing import App
from qaryz.lending.tests.conftest import _fresh_bureau_memory, lending_setup  # noqa: F401
from qaryz.lending.tests.test_signing import passed_biometrics
from qaryz.servicing.adapters.acquirer_embedded import EmbeddedAcquirer
from qaryz.servicing.tests.payout_helpers import sim_fixture  # noqa: F401 – the bank simulator
from qaryz.signatures.tests.conftest import eds_settings, test_pki  # noqa: F401

pytestmark = pytest.mark.django_db
PHONE = "+77015550177"
API = "/api/v1"


def call(app: App, method: str, path: str, body: dict | None = None, status: int = 200):
    answer = app.call(method, API + path, body)
    assert answer.status_code == status, (method, path, answer.status_code, answer.content[:400])
    return answer.json() if answer["Content-Type"].startswith("application/json") else answer


def sign(app: App, pki, key, request_id: str) -> None:
    payload = base64.b64decode(call(app, "GET", f"/signatures/requests/{request_id}")["payload_base64"])
    cms = base64.b64encode(pki.pki.sign_with(key, payload, detached=False)).decode()
    assert call(app, "POST", f"/signatures/requests/{request_id}/submit", {"cms": cms})["accepted"]


@pytest.mark.req("R-CH-1", "R-MOB-1", "R-ONB-8", "R-SIGN-1", "R-DISB-2", "R-DISB-5", "R-CAB-5", "R-CAB-7")
def test_the_whole_journey_from_a_bound_app(client, outbox, lending_setup, eds_settings, sim):  # noqa: F811
    from qaryz.clients.models import BankAccount, Client

    app = App(client)
    iin = make_iin("880404")
    eds = eds_settings.pki.issue_client(iin=iin, surname="САПАРОВА", given_name="АЙГУЛЬ", store=False)
    consent = client.get(f"{API}/access/register/consent?language=ru").json()
    started = client.post(
        f"{API}/access/register",
        {
            "kind": "individual",
            "iin": iin,
            "surname": "Сапарова",
            "given_name": "Айгуль",
            "phone": PHONE,
            "address": "г. Алматы, ул. Абая, 12, кв. 7",
            "pd_consent": True,
            "consent_sha256": consent["sha256"],
        },
        content_type="application/json",
    ).json()
    code = re.search(r"\b(\d{6})\b", outbox(PHONE)[-1].text).group(1)
    verified = client.post(
        f"{API}/access/register/verify",
        {"challenge_id": started["challenge_id"], "code": code},
        content_type="application/json",
    ).json()
    done = app.sign_in(
        f"{API}/access/register/complete",
        {
            "registration_token": verified["registration_token"],
            "password": "Bound-Journey-2027",
            "device_id": "Pixel",
        },
    )
    assert done.status_code == 200 and done.json()["token_type"] == "DPoP", done.content
    # The token alone, without the device key's proof, is useless to whoever copies it.
    assert client.get(f"{API}/access/me", HTTP_AUTHORIZATION=f"DPoP {app.access}").status_code == 401
    assert client.get(f"{API}/access/me", HTTP_AUTHORIZATION=f"Bearer {app.access}").status_code == 401

    sign(app, eds_settings, eds, call(app, "POST", "/access/register/signing")["signing_request_id"])
    person = Client.objects.get(phone=PHONE)
    passed_biometrics(person, "registration")
    assert call(app, "GET", "/access/me")["status"] == "confirmed"
    BankAccount.objects.create(client=person, kind="iban", value="KZ86125KZT5004100100")  # verified earlier

    product = call(app, "GET", "/products")[0]
    method = call(app, "POST", f"/products/{product['code']}/offers", {"amount": "250000", "term_months": 9})[
        0
    ]["method"]
    application = call(
        app,
        "POST",
        "/applications",
        {"product": product["code"], "amount": "250000", "term_months": 9, "method": method},
        status=201,
    )
    base = f"/applications/{application['id']}"
    for text in call(app, "GET", f"{base}/disclosures"):
        call(app, "POST", f"{base}/acknowledgements", {"key": text["key"]})
    call(app, "POST", f"{base}/disbursement", {"method": "bank_account", "iban": "KZ86125KZT5004100100"})
    decided = call(
        app,
        "POST",
        f"{base}/submit",
        {"monthly_income": "700000", "bureau_consent": True, "idempotency_key": "b-1"},
    )
    assert decided["status"] == "approved", decided
    call(app, "GET", f"{base}/contract")
    signing = call(app, "POST", f"{base}/contract/signing")
    sign(app, eds_settings, eds, signing["signing_request_id"])
    passed_biometrics(person, signing["biometrics_purpose"])
    assert call(app, "POST", f"{base}/contract/sign")["status"] == "signed"
    loan_id = call(app, "GET", "/servicing/loans")[0]["id"]
    loan = f"/servicing/loans/{loan_id}"
    if call(app, "GET", f"{loan}/payout")["consent_required"]:
        call(app, "POST", f"{loan}/payout/consent")

    with time_machine.travel(timezone.now() + dt.timedelta(days=3), tick=True):
        assert app.renew().status_code == 200  # the access token lasts minutes; the refresh rotates it
        assert call(app, "GET", f"{loan}/payout")["can_request"] is True
        call(app, "POST", f"{loan}/payout", {"idempotency_key": "bound-payout-1"})
        assert sim.deliver_pending() == 1  # the bank pays and confirms by its signed webhook
        shown = call(app, "GET", loan)
        assert shown["status"] == "active", shown
        order = call(app, "POST", f"{loan}/card-payment", {"amount": "15000.00"})
        EmbeddedAcquirer().pay(order["order_id"], "4111111111111111")  # the acquirer's page and webhook
        payments = call(app, "GET", f"{loan}/payments")
        items = payments["items"] if isinstance(payments, dict) else payments
        assert [(p["amount"], p["channel"]) for p in items] == [("15000.00", "card")]
        assert items[0]["receipt_id"] and items[0]["channel_label"] == "Платёжная карта"
        receipt = call(app, "GET", f"/records/receipts/{items[0]['receipt_id']}.json")
        assert receipt["receipt"]["kind"] == "payment_receipt"
        quote = call(app, "POST", f"{loan}/early-repayment/quote", {"mode": "full"})
        assert quote["to_pay"] and quote["mode"] == "full", quote
        topic = call(app, "GET", "/correspondence/topics")[0]["code"]
        call(
            app,
            "POST",
            "/correspondence/threads",
            {"subject": "Спасибо", "topic": topic, "body": "Деньги пришли"},
            status=201,
        )
