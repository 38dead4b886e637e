"""Client data rules: check digits, identity documents, bank details, immutable IIN/BIN (R-ONB-1, -2, -7)."""

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from hypothesis import given
from hypothesis import strategies as st

from qaryz.access.testing import make_client, make_staff, sign_in_staff
from qaryz.clients import services
from qaryz.clients.idnumbers import (
    check_digit,
    complete,
    luhn_valid,
    normalize_kz_mobile,
    valid_bin,
    valid_iin,
)
from qaryz.clients.models import Client


@pytest.mark.req("R-ONB-1")
def test_known_numbers():
    assert valid_bin("940140000385") and valid_bin("990140004654")
    assert valid_iin("900101300017") and not valid_iin("900101300018")
    assert not valid_iin("901301300017"[:11] + "7")  # month 13
    assert normalize_kz_mobile("8 (701) 123-45-67") == "+77011234567"
    assert normalize_kz_mobile("+7 727 300 00 00") is None  # a landline is not a mobile


@pytest.mark.req("R-ONB-1")
@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_check_digit_property(first11):
    number = complete(first11)
    if number is None:
        assert check_digit(first11) is None
        return
    assert len(number) == 12 and number.startswith(first11)
    wrong = first11 + str((int(number[-1]) + 1) % 10)
    from qaryz.clients.idnumbers import valid_12

    assert valid_12(number) and not valid_12(wrong)


@pytest.mark.req("R-ONB-1")
def test_luhn():
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")


@pytest.mark.req("R-ONB-1")
def test_identity_document_rules():
    today = dt.date(2026, 11, 22)
    with pytest.raises(services.ClientDataError) as err:
        services.check_identity_document("birth_certificate", "123", dt.date(2030, 1, 1), today=today)
    assert err.value.code == "birth_certificate"
    with pytest.raises(services.ClientDataError) as err:
        services.check_identity_document("id_card", "045678912", dt.date(2026, 11, 21), today=today)
    assert err.value.code == "doc_expired"
    services.check_identity_document("id_card", "045678912", today, today=today)
    services.check_identity_document("passport", "N1234567", dt.date(2030, 1, 1), today=today)


@pytest.mark.req("R-ONB-1")
@pytest.mark.django_db
def test_birth_certificate_message_in_three_languages():
    from django.utils import translation

    texts = set()
    for lang in ("ru", "kk", "en"):
        with translation.override(lang), pytest.raises(services.ClientDataError) as err:
            services.check_identity_document("birth_certificate", "1", dt.date(2030, 1, 1))
        texts.add(err.value.messages[0])
    assert len(texts) == 3  # really translated


@pytest.mark.req("R-ONB-1")
@pytest.mark.django_db
def test_record_identity_document():
    person = make_client()
    services.record_identity_document(
        person, doc_type="id_card", number="045678912", expiry=dt.date.today() + dt.timedelta(days=400)
    )
    person.refresh_from_db()
    assert person.id_doc_type == "id_card"
    with pytest.raises(IntegrityError), transaction.atomic():
        Client.objects.filter(pk=person.pk).update(id_doc_type="birth_certificate")


@pytest.mark.req("R-ONB-6")
@pytest.mark.django_db
def test_bank_details_validated_and_one_current():
    person = make_client()
    with pytest.raises(services.ClientDataError):
        services.set_bank_account(person, kind="iban", value="DE89370400440532013000")
    with pytest.raises(services.ClientDataError):
        services.set_bank_account(person, kind="card", value="4111111111111112")
    services.set_bank_account(person, kind="iban", value="KZ86125KZT5004100100")
    services.set_bank_account(person, kind="card", value="4111 1111 1111 1111")
    assert person.bank_accounts.filter(is_current=True).get().kind == "card"
    assert person.bank_accounts.count() == 2


@pytest.mark.req("R-ONB-7")
@pytest.mark.django_db
def test_database_refuses_iin_change():
    person = make_client()
    with pytest.raises(IntegrityError), transaction.atomic():
        Client.objects.filter(pk=person.pk).update(iin="900101300017")
    person.iin = "900101300017"
    with pytest.raises(IntegrityError), transaction.atomic():
        person.save()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE clients_client SET iin = %s WHERE id = %s", ["900101300027", person.pk])
    person.refresh_from_db()
    # Other fields still change; saving the unchanged IIN is fine.
    person.given_name = "Новое"
    person.save()


@pytest.mark.req("R-ONB-7")
@pytest.mark.django_db
def test_database_refuses_bin_change():
    entity = make_client(kind=Client.Kind.LEGAL_ENTITY)
    with pytest.raises(IntegrityError), transaction.atomic():
        Client.objects.filter(pk=entity.pk).update(bin="940140000385")


@pytest.mark.req("R-ONB-7")
@pytest.mark.django_db
def test_service_refuses_iin_change():
    person = make_client()
    with pytest.raises(services.ClientDataError):
        services.update_client(person, iin="900101300017")
    with pytest.raises(services.ClientDataError):
        services.update_client(person, bin="940140000385")
    services.update_client(person, preferred_language="kk")


@pytest.mark.req("R-ONB-7")
@pytest.mark.django_db
def test_admin_change_form_cannot_change_iin(client):
    person = make_client()
    original = person.iin
    admin = make_staff(None)
    admin.is_superuser = True
    admin.save()
    sign_in_staff(client, admin)
    url = f"/admin/clients/client/{person.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="iin"' not in page.content.decode()
    response = client.post(
        url,
        {
            "iin": "900101300017",
            "bin": "940140000385",
            "preferred_language": "kk",
            "signer-TOTAL_FORMS": "0",
            "signer-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    person.refresh_from_db()
    assert person.iin == original and person.bin is None and person.preferred_language == "kk"


@pytest.mark.req("R-ONB-7", "R-ACC-2")
@pytest.mark.django_db
def test_admin_needs_backoffice_second_factor(client):
    admin = make_staff(None)
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)  # password only, as Django's own admin login would do
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/backoffice/login/")
    assert client.get("/admin/clients/client/").status_code == 302


@pytest.mark.req("R-ONB-7")
def test_no_api_endpoint_accepts_iin_except_registration():
    """Every API request schema is inspected: only registration may carry an IIN/BIN."""
    from qaryz.api.api import api

    schema = api.get_openapi_schema()
    components = schema.get("components", {}).get("schemas", {})
    offenders = []
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            ref = body.get("$ref", "").rsplit("/", 1)[-1]
            props = set(components.get(ref, {}).get("properties", {}))
            params = {p["name"] for p in op.get("parameters", [])}
            if {"iin", "bin"} & (props | params) and path != "/api/v1/access/register":
                offenders.append(f"{method.upper()} {path}")
    assert offenders == []


@pytest.mark.req("R-ONB-1", "R-ARCH-1")
@pytest.mark.django_db
def test_face_photo_goes_to_the_vault():
    from qaryz.records.models import StoredDocument
    from qaryz.records.services import read_document

    person = make_client()
    photo = b"\xff\xd8\xff\xe0fake-jpeg-face"
    services.attach_face_photo(person, photo)
    person.refresh_from_db()
    document = StoredDocument.objects.get(pk=person.face_photo_ref)
    assert read_document(document) == photo


@pytest.mark.req("R-ONB-2", "R-ARCH-1")
@pytest.mark.django_db
def test_legal_entity_signer_documents():
    from qaryz.clients.models import LegalEntitySigner
    from qaryz.records.models import StoredDocument
    from qaryz.records.services import read_document

    entity = make_client(kind=Client.Kind.LEGAL_ENTITY)
    LegalEntitySigner.objects.create(client=entity, surname="Оспанов", given_name="Ерлан", iin="900101300017")
    with pytest.raises(services.ClientDataError):
        services.set_signer_document(
            entity, doc_type="id_card", number="0123", expiry=dt.date.today() - dt.timedelta(days=1)
        )
    signer = services.set_signer_document(
        entity,
        doc_type="passport",
        number="N7654321",
        expiry=dt.date.today() + dt.timedelta(days=900),
        photo=b"signer-photo",
        authority="power_of_attorney",
        authority_scan=b"%PDF-1.7 scan",
    )
    assert read_document(StoredDocument.objects.get(pk=signer.authority_scan_ref)) == b"%PDF-1.7 scan"
    assert read_document(StoredDocument.objects.get(pk=signer.photo_ref)) == b"signer-photo"


@pytest.mark.req("R-ONB-7")
def test_no_form_for_an_existing_client_has_iin_or_bin():
    """Forms that act on an existing client (cabinet, back office) never carry IIN/BIN fields;
    only the registration and recovery forms (no client yet / proof of identity) ask for them."""
    from django import forms as django_forms

    from qaryz.access import forms as access_forms
    from qaryz.backoffice import forms as backoffice_forms

    allowed = {"RegistrationForm", "RecoveryForm"}
    checked = 0
    for module in (access_forms, backoffice_forms):
        for name in dir(module):
            cls = getattr(module, name)
            if (
                isinstance(cls, type)
                and issubclass(cls, django_forms.BaseForm)
                and cls.__module__ == module.__name__
            ):
                checked += 1
                if name not in allowed:
                    assert not {"iin", "bin"} & set(cls.base_fields), name
    assert checked >= 8
