"""The signing page (NCALayer module, demo signer) and the mobile API (R-ONB-4, R-SIGN-1, R-AUTH-5)."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from qaryz.access.services import issue_api_token
from qaryz.access.testing import sign_in_client
from qaryz.clients.models import Client
from qaryz.signatures import selectors, services
from qaryz.signatures.models import SigningRequest

from .conftest import OTHER_IIN, Pki
from .test_signing_requests import make_client

pytestmark = pytest.mark.django_db


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_page_shows_what_is_signed_and_loads_the_ncalayer_module(eds_settings: Pki, client, settings) -> None:
    settings.DEMO_MODE = False
    owner = make_client()
    sign_in_client(client, owner)
    document = "Смена банковских реквизитов: KZ86125KZT5004100100".encode()
    request = services.create_signing_request(owner, "change_bank", document, title="Смена реквизитов")
    response = client.get(f"/signatures/sign/{request.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Смена реквизитов" in html and document.decode() in html and request.nonce in html
    assert "signatures/ncalayer.js" in html and 'type="module"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "no inline scripts (CSP)"
    assert 'id="eds-demo-sign"' not in html  # demo signer hidden outside demo mode
    assert 'data-msg-not-running="' in html
    assert "wss://127.0.0.1:13579" in response["Content-Security-Policy"]


@pytest.mark.req("R-ONB-4", "R-SIGN-1")
def test_posting_the_ncalayer_signature_accepts_and_redirects_to_next(eds_settings: Pki, client) -> None:
    owner = make_client(status=Client.Status.REGISTERED)  # registration EDS comes before confirmation
    sign_in_client(client, owner)
    request = services.create_signing_request(owner, "registration", b"agree", title="Registration")
    cms = b64(eds_settings.pki.sign(eds_settings.good.label, bytes(request.payload)))
    response = client.post(f"/signatures/sign/{request.pk}/?next=/register/finish/", {"cms": cms})
    assert response.status_code == 302 and response["Location"] == "/register/finish/"
    assert selectors.accepted_signature(request) is not None


@pytest.mark.req("R-AUTH-5")
def test_failed_signature_shows_the_reason_and_open_redirects_are_ignored(eds_settings: Pki, client) -> None:
    owner = make_client()
    sign_in_client(client, owner)
    request = services.create_signing_request(owner, "contract_signing", b"contract", title="Contract")
    wrong = b64(eds_settings.pki.sign(eds_settings.other.label, bytes(request.payload)))
    response = client.post(f"/signatures/sign/{request.pk}/?next=https://evil.example/", {"cms": wrong})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'name="next" value="https://evil' not in html
    assert "ИИН в сертификате не ваш" in html
    assert client.post(f"/signatures/sign/{request.pk}/", {"cms": " "}).status_code == 400
    good = b64(eds_settings.pki.sign(eds_settings.good.label, bytes(request.payload)))
    accepted = client.post(f"/signatures/sign/{request.pk}/?next=https://evil.example/", {"cms": good})
    assert accepted.status_code == 302 and "evil" not in accepted["Location"]


@pytest.mark.req("R-ONB-4")
def test_demo_signer_flow_runs_in_a_plain_browser_only_in_demo_mode(
    eds_settings: Pki, client, settings
) -> None:
    owner = make_client(iin="660606300666", phone="+77016660666")
    sign_in_client(client, owner)
    request = services.create_signing_request(owner, "registration", b"agree", title="Registration")
    settings.DEMO_MODE = False
    assert client.post(f"/signatures/sign/{request.pk}/demo/").status_code == 404
    settings.DEMO_MODE = True
    page = client.get(f"/signatures/sign/{request.pk}/")
    assert 'id="eds-demo-sign"' in page.content.decode()
    response = client.post(f"/signatures/sign/{request.pk}/demo/", {"next": "/cabinet/"})
    assert response.status_code == 302 and response["Location"] == "/cabinet/"
    request.refresh_from_db()
    assert request.status == SigningRequest.Status.ACCEPTED
    assert selectors.accepted_signature(request).channel == "demo"  # type: ignore[union-attr]


def test_page_of_another_client_is_not_found(eds_settings: Pki, client) -> None:
    owner = make_client()
    other = make_client(iin=OTHER_IIN, phone="+77019998877")
    request = services.create_signing_request(owner, "registration", b"agree", title="Registration")
    sign_in_client(client, other)
    assert client.get(f"/signatures/sign/{request.pk}/").status_code == 404
    token, _session = issue_api_token(other)
    api = client.get(f"/api/v1/signatures/requests/{request.pk}", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.status_code == 404


def test_page_and_api_require_a_signed_in_client(eds_settings: Pki, client) -> None:
    owner = make_client()
    request = services.create_signing_request(owner, "registration", b"agree", title="Registration")
    page = client.get(f"/signatures/sign/{request.pk}/")
    assert page.status_code == 302 and page["Location"].startswith("/login/")
    api = client.post(
        f"/api/v1/signatures/requests/{request.pk}/submit", {"cms": "x"}, content_type="application/json"
    )
    assert api.status_code == 401


@pytest.mark.req("R-ONB-4", "R-SIGN-1", "R-AUTH-5")
def test_mobile_api_fetches_the_bytes_and_submits_the_cms(eds_settings: Pki, client) -> None:
    owner = make_client()
    token, _session = issue_api_token(owner)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    request = services.create_signing_request(owner, "change_phone", b"new phone", title="Phone")
    fetched = client.get(f"/api/v1/signatures/requests/{request.pk}", **auth).json()
    payload = base64.b64decode(fetched["payload_base64"])
    assert payload == bytes(request.payload) and fetched["status"] == "pending"
    url = f"/api/v1/signatures/requests/{request.pk}/submit"
    wrong = client.post(
        url,
        {"cms": b64(eds_settings.pki.sign(eds_settings.other.label, payload))},
        content_type="application/json",
        **auth,
    )
    assert wrong.status_code == 422 and wrong.json()["reason"] == "iin_mismatch" and wrong.json()["message"]
    cms = b64(eds_settings.pki.sign(eds_settings.good.label, payload, detached=False))
    ok = client.post(url, {"cms": cms}, content_type="application/json", **auth)
    assert ok.status_code == 200 and ok.json()["accepted"] is True
    replay = client.post(url, {"cms": cms}, content_type="application/json", **auth)
    assert replay.status_code == 422 and replay.json()["reason"] == "replayed"


@pytest.mark.req("R-SIGN-1")
def test_pdf_document_is_shown_as_stored_and_only_to_its_owner(eds_settings: Pki, client) -> None:
    owner = make_client()
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    request = services.create_signing_request(owner, "contract_signing", pdf, title="Договор № 9")
    envelope = json.loads(bytes(request.payload))
    assert envelope["document"]["media_type"] == "application/pdf" and "text" not in envelope["document"]
    sign_in_client(client, owner)
    response = client.get(f"/signatures/sign/{request.pk}/document/")
    assert response.status_code == 200 and response.content == pdf
    assert response["Content-Type"] == "application/pdf"
    client.cookies.clear()
    sign_in_client(client, make_client(iin=OTHER_IIN, phone="+77019998877"))
    assert client.get(f"/signatures/sign/{request.pk}/document/").status_code == 404


def test_open_signing_request_is_none_once_signed_or_expired(eds_settings: Pki) -> None:
    owner = make_client()
    request = services.create_signing_request(owner, "registration", b"agree", title="Registration")
    assert selectors.open_signing_request(request.pk) == request
    services.submit_signature(
        request, owner, eds_settings.pki.sign(eds_settings.good.label, bytes(request.payload))
    )
    assert selectors.open_signing_request(request.pk) is None
    stale = services.create_signing_request(
        owner, "registration", b"agree", title="Registration", ttl_seconds=60
    )
    with time_machine.travel(timezone.now() + timedelta(seconds=120)):
        assert selectors.open_signing_request(stale.pk) is None
    assert selectors.open_signing_request(stale.pk) == stale
    assert selectors.open_signing_request("junk") is None


@pytest.mark.req("R-ONB-4", "R-SIGN-1")
def test_demo_signer_signs_with_a_gost_key_through_the_same_verification(
    eds_settings: Pki, client, settings, tmp_path
) -> None:
    """The browser flow with the GOST demo key: a GOST test PKI beside the RSA one, its root trusted in
    demo mode, revocation answered in-process (demo), the signature verified like any other."""
    from qaryz.signatures.cms import parse_signed_data

    settings.EDS_TEST_PKI_DIR = tmp_path / "pki"  # a fresh demo PKI pair, as seed_demo makes it
    settings.EDS_REVOCATION = "embedded"
    services.reset_caches()
    services.ensure_test_pki()
    owner = make_client(iin="680808300888", phone="+77016880888")
    sign_in_client(client, owner)
    request = services.create_signing_request(owner, "contract_signing", b"contract", title="Contract")
    settings.DEMO_MODE = True
    page = client.get(f"/signatures/sign/{request.pk}/")
    assert 'id="eds-demo-sign-gost"' in page.content.decode()
    assert client.post(f"/signatures/sign/{request.pk}/demo/", {"algorithm": "dsa"}).status_code == 400
    response = client.post(f"/signatures/sign/{request.pk}/demo/", {"algorithm": "gost", "next": "/cabinet/"})
    assert response.status_code == 302 and response["Location"] == "/cabinet/"
    request.refresh_from_db()
    assert request.status == SigningRequest.Status.ACCEPTED
    accepted = selectors.accepted_signature(request)
    assert accepted is not None and accepted.channel == "demo" and accepted.signer_iin == "680808300888"
    cms = services.demo_sign(request, algorithm="gost")
    assert parse_signed_data(cms).digest_algorithm == "streebog512"
    services.reset_caches()


@pytest.mark.req("R-ONB-6", "R-SIGN-1")
def test_mobile_api_offers_the_xml_to_sign_and_accepts_signxml_output(eds_settings: Pki, client) -> None:
    from qaryz.signatures import xmldsig

    owner = make_client()
    token, _session = issue_api_token(owner)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    request = services.create_signing_request(owner, "change_phone", b"new phone", title="Phone")
    fetched = client.get(f"/api/v1/signatures/requests/{request.pk}", **auth).json()
    assert fetched["xml_to_sign"].encode() == services.xml_to_sign(request)
    key = eds_settings.good
    signed = xmldsig.sign_xml(
        fetched["xml_to_sign"].encode(),
        key.certificate,
        key.private_key,
        extra_certificates=[eds_settings.pki.intermediate],
    )
    url = f"/api/v1/signatures/requests/{request.pk}/submit"
    tampered = signed.replace(b"new phone", b"old phone")
    bad = client.post(url, {"cms": tampered.decode()}, content_type="application/json", **auth)
    assert bad.status_code == 422 and bad.json()["reason"] == "content_mismatch" and bad.json()["message"]
    ok = client.post(url, {"cms": signed.decode()}, content_type="application/json", **auth)
    assert ok.status_code == 200 and ok.json()["accepted"] is True, ok.json()
