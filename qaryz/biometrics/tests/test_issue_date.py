"""The identity document's issue date (R-ONB-1): the MRZ holds none, so the client enters it with
the card photo (web page and API); it is checked – not in the future, not before the holder could
have received the document, before the expiry – and an ID card whose validity is not the usual
term (a setting, unconfirmed) is accepted with a warning that staff see."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qaryz.access.services import issue_api_token
from qaryz.access.testing import make_staff, sign_in_client, sign_in_staff
from qaryz.biometrics import services
from qaryz.biometrics.models import FaceReference
from qaryz.clients.models import Client, LegalEntitySigner
from qaryz.clients.services import ClientDataError, check_issue_date

from .test_protocol import IIN, card_bytes, make_client

pytestmark = [pytest.mark.django_db, pytest.mark.req("R-ONB-1")]
TODAY = dt.date(2026, 1, 1)
BIRTH = dt.date(1961, 8, 4)  # the test card's holder
EXPIRY = dt.date(2034, 5, 20)  # the test card's expiry
PAGE = "/biometrics/document/?purpose=registration&next=/cabinet/"


def _code(doc_type: str, issued: dt.date | None, expiry: dt.date | None = EXPIRY, birth=BIRTH) -> str:
    try:
        warnings = check_issue_date(doc_type, issued, expiry=expiry, birth_date=birth, today=TODAY)
    except ClientDataError as exc:
        return exc.code
    return ",".join(warnings) or "ok"


def test_the_rules_of_an_issue_date(settings) -> None:
    assert _code("id_card", dt.date(2024, 5, 20)) == "ok"  # expiry = issue + 10 years
    assert _code("id_card", dt.date(2024, 5, 21)) == "ok"  # a day either way is tolerated
    assert _code("id_card", None) == "issue_date_missing"
    assert _code("id_card", dt.date(2026, 1, 2)) == "issue_date_future"
    assert _code("id_card", dt.date(1961, 8, 3)) == "issue_date_too_early"  # before birth
    assert _code("id_card", dt.date(1975, 8, 3)) == "issue_date_too_early"  # aged 13
    assert _code("id_card", dt.date(1975, 8, 4), expiry=dt.date(1985, 8, 4)) == "ok"  # aged 14
    assert _code("passport", dt.date(1961, 8, 4), expiry=dt.date(1971, 8, 4)) == "ok"  # from birth
    assert _code("passport", dt.date(1961, 8, 3)) == "issue_date_too_early"
    assert _code("id_card", dt.date(2025, 1, 1), expiry=dt.date(2025, 1, 1)) == "issue_date_after_expiry"
    # Validity other than the usual term: accepted, with a warning (the rule is unconfirmed).
    assert _code("id_card", dt.date(2020, 5, 20)) == "unusual_validity"
    assert _code("passport", dt.date(2020, 5, 20)) == "ok"  # passports: no term is assumed
    settings.CLIENTS_ID_CARD_VALIDITY_YEARS = 14
    assert _code("id_card", dt.date(2020, 5, 20)) == "ok"
    settings.CLIENTS_ID_CARD_MIN_ISSUE_AGE = 16
    assert _code("id_card", dt.date(1976, 8, 4), expiry=dt.date(1990, 8, 4)) == "issue_date_too_early"


def test_the_issue_date_is_kept_with_the_document_and_checked_against_the_mrz() -> None:
    person = make_client(face=None)
    with pytest.raises(services.BiometricsError) as exc:
        services.enrol_document(person, card_bytes(), issue_date=dt.date(2035, 1, 1), today=TODAY)
    assert exc.value.code == "issue_date_invalid"
    assert str(exc.value.message) == "Дата выдачи не может быть в будущем."
    assert not FaceReference.objects.filter(client=person).exists()  # nothing kept
    services.enrol_document(person, card_bytes(), issue_date=dt.date(2024, 5, 20), today=TODAY)
    person.refresh_from_db()
    assert (person.id_doc_issue_date, person.id_doc_expiry) == (dt.date(2024, 5, 20), EXPIRY)
    assert not person.id_doc_validity_unusual and services.document_warnings(person) == []


def test_a_signers_issue_date_goes_on_the_signer() -> None:
    entity = Client.objects.create(
        kind="legal_entity", bin="050140000014", legal_name="ТОО «Тест»", phone="+77019990011"
    )
    LegalEntitySigner.objects.create(client=entity, surname="Обама", given_name="Барак", iin=IIN)
    services.enrol_document(entity, card_bytes(), issue_date=dt.date(2021, 5, 20), today=TODAY)
    signer = LegalEntitySigner.objects.get(client=entity)
    assert signer.id_doc_issue_date == dt.date(2021, 5, 20) and signer.id_doc_validity_unusual
    assert services.document_warnings(entity) == ["issue_date_unusual"]


def test_the_web_page_asks_for_the_issue_date_and_explains_refusals(client) -> None:
    person = make_client(face=None)
    sign_in_client(client, person)
    page = client.get("/biometrics/verify/?purpose=registration&next=/cabinet/").content.decode()
    assert 'name="issue_date"' in page and "Дата выдачи документа" in page

    def post(issue_date: str) -> str:
        card = SimpleUploadedFile("card.jpg", card_bytes(), content_type="image/jpeg")
        resp = client.post(PAGE, {"card": card, "issue_date": issue_date})
        assert resp.status_code == 302
        return client.get(resp["Location"]).content.decode()

    assert "Укажите дату выдачи документа" in post("")
    assert "Укажите дату выдачи в формате дд.мм.гггг." in post("20/05/2024")
    assert "Дата выдачи не может быть в будущем." in post("2099-01-01")
    assert "Дата выдачи слишком ранняя для вашей даты рождения" in post("01.01.1970")  # aged 8
    assert not FaceReference.objects.filter(client=person).exists()
    page = post("20.05.2019")  # a 15-year validity: accepted, with a warning
    assert FaceReference.objects.filter(client=person).exists()
    assert "срок действия отличается от обычного" in page
    person.refresh_from_db()
    assert person.id_doc_issue_date == dt.date(2019, 5, 20)

    # Staff see the date and the warning on the client card.
    client.logout()
    sign_in_staff(client, make_staff("underwriter"))
    card = client.get(f"/backoffice/clients/{person.pk}/").content.decode()
    assert "выдан 20.05.2019" in card and "срок действия отличается от обычного" in card


def test_the_api_requires_the_issue_date_and_returns_it(client) -> None:
    person = make_client(face=None)
    token, _ = issue_api_token(person)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def post(**data: str):
        card = SimpleUploadedFile("card.jpg", card_bytes(), content_type="image/jpeg")
        return client.post("/api/v1/biometrics/document", {"card": card, **data}, **auth)

    missing = post()
    assert missing.status_code == 400 and "issue_date_missing" in missing.content.decode()
    assert post(issue_date="2099-01-01").status_code == 400
    ok = post(issue_date="2024-05-20")
    assert ok.status_code == 200, ok.content
    body = ok.json()
    assert body["issue_date"] == "2024-05-20" and body["warnings"] == []
