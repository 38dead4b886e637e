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
