"""Identity data the MFO does not need to search is encrypted at rest (R-3P-1, docs/records.md):
the registration address, the identity document numbers, the registered bank details and an
application's payout IBAN. The raw database columns hold only ciphertext; the application sees
plaintext; the masked back-office forms still work; a registered IBAN is found only through its
keyed blind index."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import FieldError
from django.db import connection

from qaryz.access.testing import make_client
from qaryz.clients import services
from qaryz.clients.models import BankAccount, Client, LegalEntitySigner
from qaryz.core.encrypted import (
    EncryptedValueError,
    blind_index,
    decrypt_value,
    encrypt_existing_rows,
    encrypt_value,
)

pytestmark = pytest.mark.django_db
ADDRESS = "г. Алматы, ул. Абая, 10, кв. 5"
IBAN = "KZ86125KZT5004100100"
EXPIRY = dt.date(2034, 5, 20)


def raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608  # nosec B608 - test constants
        return cursor.fetchone()[0]


@pytest.mark.req("R-3P-1")
def test_raw_columns_hold_no_plaintext_and_the_application_reads_plaintext() -> None:
    person = make_client()
    services.record_identity_document(person, doc_type="id_card", number="041234567", expiry=EXPIRY)
    account = services.set_bank_account(person, kind="iban", value=IBAN)
    stored = {
        "address": raw("clients_client", "address", person.pk),
        "id_doc_number": raw("clients_client", "id_doc_number", person.pk),
        "value": raw("clients_bankaccount", "value", account.pk),
    }
    for column, value in stored.items():
        assert value.startswith("qe1:"), column
    assert "Абая" not in stored["address"] and "4567" not in stored["id_doc_number"]
    assert "KZ86" not in stored["value"] and "0100" not in stored["value"]
    # The same plaintext twice gives two different ciphertexts (random nonce).
    other = make_client(address=ADDRESS)
    assert raw("clients_client", "address", other.pk) != stored["address"]

    person = Client.objects.get(pk=person.pk)
    assert (person.address, person.id_doc_number) == (ADDRESS, "041234567")
    assert person.id_doc_masked == "••••4567" and person.address_masked == "г. Алматы, …"
    assert BankAccount.objects.get(pk=account.pk).masked == "KZ86…0100"
    assert Client.objects.values_list("address", flat=True).get(pk=person.pk) == ADDRESS


@pytest.mark.req("R-3P-1")
def test_signer_document_and_payout_iban_are_encrypted() -> None:
    entity = make_client(kind=Client.Kind.LEGAL_ENTITY)
    signer = LegalEntitySigner.objects.create(
        client=entity, surname="Обама", given_name="Барак", iin="900101300017", id_doc_number="N1234567"
    )
    assert raw("clients_legalentitysigner", "id_doc_number", signer.pk).startswith("qe1:")
    assert LegalEntitySigner.objects.get(pk=signer.pk).id_doc_masked == "••••4567"

    from qaryz.lending.models import Application

    column = Application._meta.get_field("payout_iban")
    assert encrypt_value(IBAN, column.label) != IBAN
    assert column.get_db_prep_save(IBAN, connection).startswith("qe1:")


@pytest.mark.req("R-3P-1")
def test_an_encrypted_column_is_not_searchable_but_the_blind_index_is() -> None:
    person = make_client()
    services.set_bank_account(person, kind="iban", value=IBAN)
    with pytest.raises(FieldError):
        list(BankAccount.objects.filter(value=IBAN))
    with pytest.raises(FieldError):
        list(Client.objects.filter(address__icontains="Абая"))
    assert Client.objects.filter(pk=person.pk, address="").count() == 0  # blank is still findable
    spaced = "kz86 125k zt50 0410 0100"
    assert (
        BankAccount.objects.filter(value_index=blind_index(spaced, "clients.bankaccount.value")).count() == 1
    )
    assert len(BankAccount.objects.get(client=person).value_index) == 64

    from qaryz.servicing.adapters.bank_embedded import EmbeddedPayoutBank

    bank = EmbeddedPayoutBank()
    assert bank.confirm_ownership(person.iin, spaced) == "owned"
    assert bank.confirm_ownership("900101300017", IBAN) == "not_owned"
    assert bank.confirm_ownership(person.iin, "KZ000000000000000777") == "unknown"


@pytest.mark.req("R-3P-1")
def test_tampered_or_moved_ciphertext_does_not_decrypt() -> None:
    person = make_client()
    services.record_identity_document(person, doc_type="id_card", number="041234567", expiry=EXPIRY)
    address = raw("clients_client", "address", person.pk)
    with pytest.raises(EncryptedValueError):  # bound to its column
        decrypt_value(address, "clients.client.id_doc_number")
    flipped = address[:-6] + ("A" if address[-6] != "A" else "B") + address[-5:]
    with pytest.raises(EncryptedValueError):
        decrypt_value(flipped, "clients.client.address")
    with connection.cursor() as cursor:  # someone writes plaintext straight into the column
        cursor.execute("UPDATE clients_client SET address = %s WHERE id = %s", ["plain text", person.pk])
    with pytest.raises(EncryptedValueError):
        Client.objects.get(pk=person.pk)


@pytest.mark.req("R-3P-1")
def test_the_data_migration_encrypts_plaintext_rows_once() -> None:
    person = make_client()
    account = services.set_bank_account(person, kind="iban", value=IBAN)
    with connection.cursor() as cursor:  # rows as they were before the migration
        cursor.execute("UPDATE clients_client SET address = %s WHERE id = %s", [ADDRESS, person.pk])
        cursor.execute(
            "UPDATE clients_bankaccount SET value = %s, value_index = '' WHERE id = %s", [IBAN, account.pk]
        )
    args = {"table": "clients_client", "column": "address", "label": "clients.client.address"}
    assert encrypt_existing_rows(connection, **args) >= 1
    assert encrypt_existing_rows(connection, **args) == 0  # already encrypted: left alone
    encrypt_existing_rows(
        connection,
        table="clients_bankaccount",
        column="value",
        label="clients.bankaccount.value",
        index_column="value_index",
        index_purpose="clients.bankaccount.value",
    )
    assert raw("clients_client", "address", person.pk).startswith("qe1:")
    assert Client.objects.get(pk=person.pk).address == ADDRESS
    account = BankAccount.objects.get(pk=account.pk)
    assert account.value == IBAN and account.value_index == blind_index(IBAN, "clients.bankaccount.value")
    assert encrypt_existing_rows(connection, **args, reverse=True) >= 1
    assert raw("clients_client", "address", person.pk) == ADDRESS
