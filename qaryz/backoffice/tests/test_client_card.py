"""The client card shows the identity document kept at registration, masked (R-ONB-1, R-ONB-2),
the face photo and the personal-data consent; for a legal entity the signer's document,
photo and authority."""

import datetime as dt

import pytest
from django.utils import timezone

from qaryz.access.testing import make_client, make_staff, sign_in_staff
from qaryz.clients.models import Client, LegalEntitySigner
from qaryz.clients.services import (
    attach_face_photo,
    record_consent,
    record_identity_document,
    set_signer_authority,
    set_signer_document,
)

pytestmark = [pytest.mark.django_db, pytest.mark.req("R-ONB-1", "R-ONB-2")]


def test_the_card_shows_the_document_masked_with_its_expiry_photo_and_consent(client):
    person = make_client()
    record_identity_document(person, doc_type="id_card", number="041234567", expiry=dt.date(2034, 5, 20))
    attach_face_photo(person, b"\xff\xd8\xff face")
    consent = record_consent(
        person, kind="personal_data", text="Согласие", language="ru", given_at=timezone.now()
    )
    sign_in_staff(client, make_staff("underwriter"))
    page = client.get(f"/backoffice/clients/{person.pk}/").content.decode()
    assert "••••4567" in page and "041234567" not in page
    assert "20.05.2034" in page
    assert consent.text_sha256[:16] in page
    assert page.count("—") < 3  # document, photo, consent are no longer empty


def test_a_legal_entitys_card_shows_the_signers_documents(client):
    entity = make_client(kind=Client.Kind.LEGAL_ENTITY)
    LegalEntitySigner.objects.create(client=entity, surname="Оспанов", given_name="Ерлан", iin="800202300011")
    set_signer_document(entity, doc_type="id_card", number="N0987654", expiry=dt.date(2031, 1, 31))
    set_signer_authority(entity, authority="power_of_attorney", scan=b"%PDF-1.4 test")
    sign_in_staff(client, make_staff("underwriter"))
    page = client.get(f"/backoffice/clients/{entity.pk}/").content.decode()
    assert "••••7654" in page and "N0987654" not in page and "31.01.2031" in page
    from django.utils.translation import gettext, override

    with override("ru"):
        assert gettext("Power of attorney") in page


def test_staff_open_the_consent_text_and_the_authority_scan_from_the_vault(client):
    """Issue 11: the consent text agreed to and the representative's authority scan were kept in
    the vault but no back-office page showed them; opening one is audited, other names are 404."""
    from qaryz.records.models import AuditEvent

    entity = make_client(kind=Client.Kind.LEGAL_ENTITY)
    LegalEntitySigner.objects.create(client=entity, surname="Оспанов", given_name="Ерлан", iin="800202300011")
    set_signer_authority(entity, authority="power_of_attorney", scan=b"%PDF-1.4 test")
    record_consent(
        entity, kind="personal_data", text="Согласие на обработку", language="ru", given_at=timezone.now()
    )
    sign_in_staff(client, make_staff("underwriter"))
    page = client.get(f"/backoffice/clients/{entity.pk}/").content.decode()
    assert 'id="authority-scan"' in page and 'id="consent-text"' in page
    scan = client.get(f"/backoffice/clients/{entity.pk}/documents/authority/")
    assert (
        scan.status_code == 200
        and scan.content == b"%PDF-1.4 test"
        and scan["Content-Type"] == "application/pdf"
    )
    text = client.get(f"/backoffice/clients/{entity.pk}/documents/consent/")
    assert text.status_code == 200 and "Согласие на обработку" in text.content.decode()
    assert AuditEvent.objects.filter(action="staff.opened_client_document").count() == 2
    assert client.get(f"/backoffice/clients/{entity.pk}/documents/other/").status_code == 404
    person = make_client()
    assert client.get(f"/backoffice/clients/{person.pk}/documents/authority/").status_code == 404
