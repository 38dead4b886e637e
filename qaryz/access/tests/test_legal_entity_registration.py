"""Legal-entity registration end to end on the server (R-ONB-2, R-ONB-3, R-ONB-4, R-AML-1): the
representative's authority document (web and API), the signer's ID card and face (biometrics room,
replaced here at its seam; its own tests read a real card), the signer's EDS with the entity's BIN
(signatures room, seam), the AML screening of the entity and its signer, and the reconciliation
of the certificate's name with the registration data."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from django.utils import translation

from qaryz.access import stepup
from qaryz.access.testing import make_bin, make_iin, sign_in_client
from qaryz.clients.models import Client, LegalEntitySigner
from qaryz.clients.services import set_signer_document
from qaryz.compliance.models import Screening
from qaryz.compliance.services import ensure_list, import_list
from qaryz.records.models import StoredDocument

pytestmark = pytest.mark.django_db
PASSWORD = "Kokzhiek-Sunrise-47"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _ru(text: str) -> str:
    from django.utils.html import escape

    with translation.override("ru"):
        return escape(translation.gettext(text))


def _code(outbox, phone):
    return re.search(r"\b(\d{6})\b", outbox(phone)[-1].text).group(1)


class Seams:
    def __init__(self, monkeypatch):
        self.biometrics = False
        self.signature = None
        monkeypatch.setattr(
            stepup, "biometric_check", lambda client, purpose, within: "bio" if self.biometrics else None
        )
        monkeypatch.setattr(stepup, "consume_biometric", lambda v: None)
        monkeypatch.setattr(stepup, "signature_check", lambda ref: self.signature if ref else None)
        self.requests = []

        def create(client, purpose, content, title):
            self.requests.append(purpose)
            return str(len(self.requests))

        monkeypatch.setattr(stepup, "create_signing_request", create)
        monkeypatch.setattr(stepup, "usable_signing_request", lambda ref: bool(ref))

    def sign_as(self, surname, given_name, patronymic="", *, iin="", bin=""):
        common = f"{surname} {given_name}".upper()
        self.signature = SimpleNamespace(
            signer_name=common,
            result={
                "signer": {
                    "common_name": common,
                    "surname": surname.upper(),
                    "given_name": patronymic.upper(),
                    "iin": iin,
                    "bin": bin,
                }
            },
        )


def register_entity(client, outbox, phone="+77015552201", signer_iin=None):
    signer_iin = signer_iin or make_iin("800202", "3")
    data = {
        "kind": "legal_entity",
        "phone": phone,
        "bin": make_bin(),
        "legal_name": "ТОО «Жол»",
        "signer_surname": "Оспанов",
        "signer_given_name": "Ерлан",
        "signer_patronymic": "Маратович",
        "signer_iin": signer_iin,
        "pd_consent": "on",
        "address": "г. Алматы, ул. Абая, 10, кв. 5",
    }
    assert client.post("/register/", data)["Location"] == "/register/code/"
    client.post("/register/code/", {"code": _code(outbox, phone)})
    response = client.post("/register/password/", {"password1": PASSWORD, "password2": PASSWORD})
    assert response["Location"] == "/register/finish/"
    return Client.objects.get(phone=phone)


def read_signer_card(entity):
    """What the biometrics room does when the signer's ID card is accepted (its tests read a card)."""
    set_signer_document(
        entity, doc_type="id_card", number="041234567", expiry=dt.date(2034, 5, 20), actor=entity
    )


@pytest.mark.req("R-ONB-2", "R-ONB-3", "R-ONB-4", "R-AML-1")
def test_entity_is_confirmed_after_authority_signer_card_face_eds_and_screening(client, outbox, monkeypatch):
    seams = Seams(monkeypatch)
    entity = register_entity(client, outbox)
    page = client.get("/register/finish/").content.decode()
    assert "/register/finish/representative/" in page and "Оспанов Ерлан Маратович" in page
    # Biometrics and EDS alone do not confirm an entity: the authority document is missing.
    seams.biometrics = True
    client.post("/register/finish/sign/")
    seams.sign_as("Оспанов", "Ерлан", "Маратович", bin=entity.bin)
    client.get("/register/finish/")
    entity.refresh_from_db()
    assert entity.status == "registered"
    # The representative's page refuses a file that is not a PDF / JPEG / PNG.
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = client.post(
        "/register/finish/representative/",
        {"authority": "power_of_attorney", "scan": SimpleUploadedFile("a.txt", b"hello", "text/plain")},
    )
    assert bad.status_code == 200 and _ru("Attach a PDF, JPEG or PNG file.") in bad.content.decode()
    missing = client.post("/register/finish/representative/", {"authority": "power_of_attorney"})
    assert _ru("Attach the scan of the document.") in missing.content.decode()
    ok = client.post(
        "/register/finish/representative/",
        {"authority": "appointment_order", "scan": SimpleUploadedFile("order.pdf", PDF, "application/pdf")},
    )
    assert ok.status_code == 302 and ok["Location"] == "/register/finish/"
    signer = LegalEntitySigner.objects.get(client=entity)
    scan = StoredDocument.objects.get(pk=signer.authority_scan_ref)
    assert (signer.authority, scan.kind, scan.media_type) == (
        "appointment_order",
        "signer_authority",
        "application/pdf",
    )
    # Still not confirmed: the signer's identity document has not been read.
    client.get("/register/finish/")
    entity.refresh_from_db()
    assert entity.status == "registered"
    read_signer_card(entity)
    response = client.get("/register/finish/")
    assert response["Location"] == "/cabinet/"
    entity.refresh_from_db()
    assert entity.status == "confirmed"
    screening = Screening.objects.get(context="registration", context_id=str(entity.pk))
    assert screening.result == "clear" and "Оспанов Ерлан Маратович" in screening.subject_name


@pytest.mark.req("R-ONB-3")
def test_a_certificate_of_another_person_blocks_with_a_clear_message(client, outbox, monkeypatch):
    seams = Seams(monkeypatch)
    entity = register_entity(client, outbox, phone="+77015552202")
    set_signer_document(entity, doc_type="id_card", number="041234567", expiry=dt.date(2034, 5, 20))
    from qaryz.clients.services import set_signer_authority

    set_signer_authority(entity, authority="power_of_attorney", scan=PDF)
    seams.biometrics = True
    client.post("/register/finish/sign/")
    seams.sign_as("Оспанов", "Ерлан", "Серикович")  # another patronymic
    page = client.get("/register/finish/").content.decode()
    entity.refresh_from_db()
    assert entity.status == "registered"
    with translation.override("ru"):
        assert translation.gettext("patronymic") in page
    assert "ОСПАНОВ ЕРЛАН СЕРИКОВИЧ" in page
    # Signing again makes a new request (the mismatched one cannot serve).
    client.post("/register/finish/sign/")
    assert seams.requests == ["registration", "registration"]
    # Case, ё/е and Kazakh letters do not count as differences.
    seams.sign_as("ОСПАНОВ", "ЕРЛАН", "МАРАТОВИЧ")
    assert client.get("/register/finish/")["Location"] == "/cabinet/"


@pytest.mark.req("R-ONB-2", "R-AML-1")
def test_a_listed_signer_cannot_finish_registration(client, outbox, monkeypatch):
    seams = Seams(monkeypatch)
    signer_iin = make_iin("770707", "3")
    ensure_list("terror", name="T", kind="terrorism", fmt="csv")
    import_list(
        "terror",
        f"id,name,aliases,birth_date,iin,kind\n1,Someone,,,{signer_iin},person\n".encode(),
        rescreen=False,
    )
    entity = register_entity(client, outbox, phone="+77015552203", signer_iin=signer_iin)
    read_signer_card(entity)
    from qaryz.clients.services import set_signer_authority

    set_signer_authority(entity, authority="appointment_order", scan=PDF)
    seams.biometrics = True
    client.post("/register/finish/sign/")
    seams.sign_as("Оспанов", "Ерлан", "Маратович")
    page = client.get("/register/finish/").content.decode()
    entity.refresh_from_db()
    assert entity.status == "registered"
    assert _ru("We cannot complete your registration. Contact the MFO.") in page
    screening = Screening.objects.get(context="registration", context_id=str(entity.pk))
    assert screening.result == "refuse" and screening.matches[0]["subject"] == "signer"


@pytest.mark.req("R-ONB-2", "R-MOB-1")
def test_api_representative_document_and_me(client, outbox):
    phone = "+77015552204"
    started = client.post(
        "/api/v1/access/register",
        {
            "kind": "legal_entity",
            "bin": make_bin(),
            "legal_name": "ТОО «Апи»",
            "signer_surname": "Ахметов",
            "signer_given_name": "Нурлан",
            "signer_iin": make_iin("810101", "3"),
            "phone": phone,
            "pd_consent": True,
            "address": "г. Алматы, ул. Абая, 10, кв. 5",
        },
        content_type="application/json",
    )
    assert started.status_code == 200, started.content
    token = client.post(
        "/api/v1/access/register/verify",
        {"challenge_id": started.json()["challenge_id"], "code": _code(outbox, phone)},
        content_type="application/json",
    ).json()["registration_token"]
    access = client.post(
        "/api/v1/access/register/complete",
        {"registration_token": token, "password": PASSWORD},
        content_type="application/json",
    ).json()["access_token"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {access}"}
    me = client.get("/api/v1/access/me", **auth).json()
    assert me["documents_required"] and not me["authority_done"] and not me["signer_document_done"]
    refused = client.post("/api/v1/access/register/representative", {"authority": "x"}, **auth)
    assert refused.status_code == 400
    from django.core.files.uploadedfile import SimpleUploadedFile

    done = client.post(
        "/api/v1/access/register/representative",
        {"authority": "power_of_attorney", "scan": SimpleUploadedFile("poa.pdf", PDF, "application/pdf")},
        **auth,
    )
    assert done.status_code == 200 and done.json() == {
        "authority": "power_of_attorney",
        "document_received": True,
    }
    assert client.get("/api/v1/access/me", **auth).json()["authority_done"] is True


@pytest.mark.req("R-ONB-2")
def test_an_individual_has_no_representative_page(client):
    from qaryz.access.testing import make_client

    person = make_client(status=Client.Status.REGISTERED)
    sign_in_client(client, person)
    assert client.get("/register/finish/representative/")["Location"] == "/register/finish/"
    assert "/register/finish/representative/" not in client.get("/register/finish/").content.decode()


@pytest.mark.req("R-ONB-2")
def test_an_entity_without_a_recorded_signer_is_told_to_call_the_mfo(client):
    """Registration always records the signer; an entity entered otherwise gets a clear message,
    not an error page."""
    from django.utils import translation

    from qaryz.access.testing import make_client

    entity = make_client(kind=Client.Kind.LEGAL_ENTITY, status=Client.Status.REGISTERED)
    sign_in_client(client, entity)
    answer = client.get("/register/finish/representative/", follow=True, HTTP_ACCEPT_LANGUAGE="kk")
    assert answer.redirect_chain[0] == ("/register/finish/", 302)
    with translation.override("kk"):
        told = translation.gettext(
            "The organisation's signer is not recorded. Call the MFO to complete the registration."
        )
    assert told.startswith("Ұйымның") and told in answer.content.decode()
