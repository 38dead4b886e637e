"""The identity read at registration is kept (R-ONB-1, R-ONB-2): the ID card's number and expiry go
on the client – or, for a legal entity, on its authorised signer, whose card is compared with the
signer's data (not the entity's empty IIN) – and the face of a passed registration check is the
client's (or the signer's) photo in the vault."""

from __future__ import annotations

import datetime as dt

import pytest

from qaryz.biometrics import services
from qaryz.clients.models import Client, LegalEntitySigner
from qaryz.records.models import StoredDocument

from .test_protocol import IIN, SEQ, card_bytes, make_client, start, submit

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 1, 1)


def make_entity(signer_iin: str = IIN, *, face: bool = False) -> Client:
    entity = Client.objects.create(
        kind="legal_entity", bin="050140000014", legal_name="ТОО «Тест»", phone="+77019990011"
    )
    LegalEntitySigner.objects.create(client=entity, surname="Обама", given_name="Барак", iin=signer_iin)
    if face:
        services.enrol_document(entity, card_bytes(), today=TODAY)
    return entity


@pytest.mark.req("R-ONB-1", "R-ONB-8")
def test_an_individuals_card_is_kept_on_the_client() -> None:
    client = make_client(face=None)
    services.enrol_document(client, card_bytes(), today=TODAY)
    client.refresh_from_db()
    assert (client.id_doc_type, client.id_doc_number, client.id_doc_expiry) == (
        "id_card",
        "041234567",
        dt.date(2034, 5, 20),
    )
    assert client.id_doc_masked == "••••4567"


@pytest.mark.req("R-ONB-2", "R-ONB-3")
def test_a_legal_entitys_signer_card_is_checked_against_the_signer_and_kept_on_the_signer() -> None:
    entity = make_entity()
    ref = services.enrol_document(entity, card_bytes(), today=TODAY)  # was refused: entity IIN empty
    assert ref.comparison["iin"] and ref.comparison["surname"]
    signer = LegalEntitySigner.objects.get(client=entity)
    assert (signer.id_doc_number, signer.id_doc_expiry) == ("041234567", dt.date(2034, 5, 20))
    entity.refresh_from_db()
    assert entity.id_doc_number == ""  # the entity itself has no identity document


@pytest.mark.req("R-ONB-2", "R-ONB-3")
def test_someone_elses_card_is_refused_for_a_signer() -> None:
    from .conftest import valid_iin

    entity = make_entity(valid_iin("72020230012"))
    with pytest.raises(services.BiometricsError) as exc:
        services.enrol_document(entity, card_bytes(), today=TODAY)
    assert exc.value.code == "document_mismatch"
    assert LegalEntitySigner.objects.get(client=entity).id_doc_number == ""


@pytest.mark.req("R-ONB-1", "R-ONB-4")
def test_a_passed_registration_check_keeps_the_face_photo(live_frames, monkeypatch) -> None:
    client = make_client()
    v = submit(start(client, purpose="registration", monkeypatch=monkeypatch), live_frames(SEQ, seed=31))
    assert v.passed, v.reason
    client.refresh_from_db()
    photo = StoredDocument.objects.get(pk=client.face_photo_ref)
    assert photo.kind == "face_photo" and photo.media_type == "image/jpeg"


@pytest.mark.req("R-ONB-2", "R-ONB-4")
def test_a_signers_passed_registration_check_keeps_the_signers_photo(live_frames, monkeypatch) -> None:
    entity = make_entity(face=True)
    v = submit(start(entity, purpose="registration", monkeypatch=monkeypatch), live_frames(SEQ, seed=32))
    assert v.passed, v.reason
    signer = LegalEntitySigner.objects.get(client=entity)
    assert StoredDocument.objects.get(pk=signer.photo_ref).kind == "signer_photo"
    entity.refresh_from_db()
    assert entity.face_photo_ref == ""
