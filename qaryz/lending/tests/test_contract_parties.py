"""Parties' details of the contract (R-CAB-3, issue 11): the Kazakh contract prints the MFO's
Kazakh legal name and addresses (a blank Kazakh field falls back to Russian), and both languages
print the borrower's registration address – or, for a client registered before it was collected,
a clear phrase; signing then waits until the cabinet or the API has the address, and the draft is
drawn up again with it."""

from __future__ import annotations

import pytest

from qaryz.access.services import issue_api_token
from qaryz.access.testing import sign_in_client
from qaryz.core.demo import DEMO_PROFILE
from qaryz.core.models import MfoProfile
from qaryz.lending import selectors, services
from qaryz.lending.errors import FlowError
from qaryz.lending.tests.pdftext import pdf_text
from qaryz.lending.tests.test_application_api import api
from qaryz.lending.tests.test_contract import approved
from qaryz.records.models import AuditEvent

pytestmark = pytest.mark.django_db
ADDRESS = "г. Алматы, ул. Абая, 10, кв. 5"


def spaced(text: str) -> str:
    return text.replace("\u00a0", " ")


@pytest.mark.req("R-CAB-3")
def test_kazakh_contract_prints_the_mfo_in_kazakh_and_the_borrowers_address(lending_setup):
    MfoProfile.objects.create(**DEMO_PROFILE)
    app = approved(lending_setup, preferred_language="kk")
    text = spaced(pdf_text(selectors.document_pdf(services.prepare_contract(app))))
    for key in (
        "legal_name_kk",
        "legal_address_kk",
        "actual_address_kk",
        "licence_kk",
        "phones_kk",
        "bank_name_kk",
    ):
        assert spaced(DEMO_PROFILE[key]) in text, key
    for key in ("legal_name", "legal_address", "actual_address", "phones", "bank_name"):
        assert spaced(DEMO_PROFILE[key]) not in text, key  # no Russian party details
    assert f"тіркелген мекенжайы: {ADDRESS}" in text


@pytest.mark.req("R-CAB-3")
def test_russian_contract_and_kazakh_fallback_to_russian(lending_setup):
    MfoProfile.objects.create(**{**DEMO_PROFILE, "legal_address_kk": ""})
    ru = approved(lending_setup, preferred_language="ru")
    text = spaced(pdf_text(selectors.document_pdf(services.prepare_contract(ru))))
    assert spaced(DEMO_PROFILE["legal_name"]) in text and f"адрес регистрации: {ADDRESS}" in text
    kk = approved(lending_setup, preferred_language="kk")
    text = spaced(pdf_text(selectors.document_pdf(services.prepare_contract(kk))))
    assert spaced(DEMO_PROFILE["legal_address"]) in text  # blank Kazakh address: the Russian one
    assert spaced(DEMO_PROFILE["legal_name_kk"]) in text


@pytest.mark.req("R-CAB-3", "R-SIGN-1")
@pytest.mark.parametrize(
    "language, phrase",
    [
        ("ru", "адрес регистрации: не указан Заёмщиком"),
        ("kk", "тіркелген мекенжайы: Қарыз алушы көрсетпеген"),
    ],
)
def test_without_an_address_the_contract_says_so_and_signing_waits(lending_setup, language, phrase):
    app = approved(lending_setup, preferred_language=language, address="")
    contract = services.prepare_contract(app)
    assert phrase in spaced(pdf_text(selectors.document_pdf(contract)))
    with pytest.raises(FlowError) as exc:
        services.start_signing(contract)
    assert exc.value.field == "address"
    with pytest.raises(FlowError):
        services.complete_signing(contract)


@pytest.mark.req("R-CAB-3", "R-SIGN-1")
def test_cabinet_asks_for_the_address_before_signing_and_redraws_the_contract(client, lending_setup):
    app = approved(lending_setup, preferred_language="ru", address="")
    sign_in_client(client, app.client)
    page = client.get(f"/lending/applications/{app.pk}/contract/").content.decode()
    assert 'id="address-needed"' in page and 'id="complete-signing"' not in page
    contract = selectors.contract_of(app)
    before = contract.pdf_sha256
    bad = client.post(f"/lending/applications/{app.pk}/contract/address/", {"address": "<b>Алматы</b> 1"})
    assert bad.status_code == 400 and "errorlist" in bad.content.decode()
    response = client.post(f"/lending/applications/{app.pk}/contract/address/", {"address": ADDRESS})
    assert response.status_code == 302
    app.client.refresh_from_db()
    contract.refresh_from_db()
    assert app.client.address == ADDRESS and contract.pdf_sha256 != before
    assert f"адрес регистрации: {ADDRESS}" in spaced(pdf_text(selectors.document_pdf(contract)))
    assert AuditEvent.objects.filter(action="lending.contract_redrafted").exists()
    assert AuditEvent.objects.filter(action="client.address_set").exists()
    page = client.get(f"/lending/applications/{app.pk}/contract/").content.decode()
    assert 'id="address-needed"' not in page and 'id="complete-signing"' in page


@pytest.mark.req("R-CAB-3")
def test_api_reports_and_takes_the_address(client, lending_setup):
    app = approved(lending_setup, preferred_language="kk", address="")
    token, _ = issue_api_token(app.client)
    body = api(client, token, "get", f"/applications/{app.pk}/contract").json()
    assert body["address_required"] is True
    path = f"/applications/{app.pk}/contract/address"
    assert api(client, token, "post", path, {"address": "x" * 201}).status_code in (400, 422)
    refused = api(client, token, "post", path, {"address": "Алматы <script>"})
    assert refused.status_code == 400
    done = api(client, token, "post", path, {"address": ADDRESS})
    assert done.status_code == 200, done.content
    assert done.json()["address_required"] is False and done.json()["pdf_sha256"] != body["pdf_sha256"]
    assert f"тіркелген мекенжайы: {ADDRESS}" in spaced(
        pdf_text(api(client, token, "get", f"/applications/{app.pk}/contract.pdf").content)
    )
