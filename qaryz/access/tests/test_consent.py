"""Consent to personal-data processing at registration (web and API): the text is shown in the
interface language, a checkbox is required, and the exact text agreed to is kept in the vault with
its SHA-256 and the time, linked to the client."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.conf import settings
from django.utils import translation

from qaryz.access.consent import consent_text, text_sha256
from qaryz.access.testing import make_iin
from qaryz.clients.models import Client, Consent
from qaryz.records.models import StoredDocument
from qaryz.records.services import read_document

pytestmark = [pytest.mark.django_db, pytest.mark.req("R-ONB-8")]
PASSWORD = "Kokzhiek-Sunrise-47"


def _code(outbox, phone):
    return re.search(r"\b(\d{6})\b", outbox(phone)[-1].text).group(1)


def _in(language: str, text: str) -> str:
    with translation.override(language):
        return translation.gettext(text)


def _person(phone: str, **extra) -> dict:
    return {
        "kind": "individual",
        "iin": make_iin(),
        "surname": "Сапарова",
        "given_name": "Айжан",
        "phone": phone,
        "address": "г. Алматы, ул. Абая, 10, кв. 5",
        **extra,
    }


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_consent_text_is_in_the_interface_language(language):
    text = consent_text(language)
    title = _in(language, "Consent to the collection and processing of personal data")
    assert text.startswith(title) and title != "Consent to the collection and processing of personal data"
    assert consent_text("ru") != consent_text("kk") != consent_text("en")


def test_web_registration_requires_the_checkbox_and_keeps_the_exact_text(client, outbox):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "kk"
    page = client.get("/register/").content.decode()
    kk_text = consent_text("kk")
    assert _in("kk", "Consent to the collection and processing of personal data") in page
    assert 'name="pd_consent"' in page and text_sha256(kk_text) in page
    phone = "+77015551101"
    refused = client.post("/register/", _person(phone))
    assert refused.status_code == 200
    assert (
        _in("kk", "To register, agree to the processing of your personal data.") in refused.content.decode()
    )
    assert outbox(phone) == []
    response = client.post("/register/", _person(phone, pd_consent="on", consent_sha256=text_sha256(kk_text)))
    assert response["Location"] == "/register/code/"
    client.post("/register/code/", {"code": _code(outbox, phone)})
    client.post("/register/password/", {"password1": PASSWORD, "password2": PASSWORD})
    registered = Client.objects.get(phone=phone)
    consent = Consent.objects.get(client=registered)
    assert (consent.kind, consent.language, consent.channel) == ("personal_data", "kk", "web")
    document = StoredDocument.objects.get(pk=consent.document_ref)
    stored = read_document(document)
    assert stored.decode("utf-8") == kk_text
    assert consent.text_sha256 == hashlib.sha256(stored).hexdigest() == document.sha256
    assert consent.given_at is not None


def test_api_shows_the_consent_and_requires_it(client, outbox):
    shown = client.get("/api/v1/access/register/consent?language=kk").json()
    assert shown["language"] == "kk" and shown["text"] == consent_text("kk")
    assert shown["sha256"] == text_sha256(shown["text"])
    phone = "+77015551102"
    body = {**_person(phone), "language": "kk"}
    missing = client.post("/api/v1/access/register", body, content_type="application/json")
    assert missing.status_code == 400 and outbox(phone) == []
    stale = client.post(
        "/api/v1/access/register",
        {**body, "pd_consent": True, "consent_sha256": "0" * 64},
        content_type="application/json",
    )
    assert stale.status_code == 400
    started = client.post(
        "/api/v1/access/register",
        {**body, "pd_consent": True, "consent_sha256": shown["sha256"]},
        content_type="application/json",
    )
    assert started.status_code == 200, started.content
    token = client.post(
        "/api/v1/access/register/verify",
        {"challenge_id": started.json()["challenge_id"], "code": _code(outbox, phone)},
        content_type="application/json",
    ).json()["registration_token"]
    done = client.post(
        "/api/v1/access/register/complete",
        {"registration_token": token, "password": PASSWORD},
        content_type="application/json",
    )
    assert done.status_code == 200
    consent = Consent.objects.get(client__phone=phone)
    assert (consent.language, consent.channel, consent.text_sha256) == ("kk", "api", shown["sha256"])
    assert read_document(StoredDocument.objects.get(pk=consent.document_ref)).decode() == shown["text"]
