"""The vault's key-encryption key in a KMS: the Vault Transit adapter against a fake Transit
server that keeps state and answers like Vault (R-3P-1)."""

from __future__ import annotations

import socket
import time

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from qaryz.records.adapters.embedded import FileKeyring
from qaryz.records.adapters.vault_transit import VaultTransitKeyring
from qaryz.records.models import AuditEvent, StoredDocument
from qaryz.records.ports import KeyServiceError
from qaryz.records.services import (
    DocumentIntegrityError,
    keyring,
    purge_expired_documents,
    read_document,
    rotate_kek,
    set_obligations_end,
    store_document,
)
from qaryz.records.storage import read_object
from qaryz.records.tests.fake_transit import FakeTransit

pytestmark = pytest.mark.django_db
TOKEN = "s.test-token"


@pytest.fixture
def vault():
    with FakeTransit(token=TOKEN) as fake:
        yield fake


@pytest.fixture
def use_vault(settings, vault):
    settings.RECORDS_KEK_BACKEND = "vault-transit"
    settings.RECORDS_VAULT_ADDR = vault.url
    settings.RECORDS_VAULT_TOKEN = TOKEN
    settings.RECORDS_VAULT_TOKEN_FILE = ""
    settings.RECORDS_VAULT_TRANSIT_KEY = "qaryz-vault-kek"
    settings.RECORDS_VAULT_READ_TIMEOUT = 2
    return vault


def _store(text: str) -> StoredDocument:
    return store_document(text.encode(), media_type="text/plain", kind="note", direction="inbound")


@pytest.mark.req("R-3P-1")
def test_data_keys_are_wrapped_by_the_kms(use_vault, settings, tmp_path):
    doc = _store("loan agreement")
    assert doc.kek_id == "transit:qaryz-vault-kek:v1"
    assert bytes(doc.wrapped_key).startswith(b"vault:v1:")
    assert read_document(StoredDocument.objects.get(pk=doc.pk)) == b"loan agreement"
    paths = [p for _, p in use_vault.requests]
    assert "/v1/transit/encrypt/qaryz-vault-kek" in paths and "/v1/transit/decrypt/qaryz-vault-kek" in paths
    assert not FileKeyring().exists()  # no key material on the application server


@pytest.mark.req("R-3P-1")
def test_rotation_rewraps_in_the_kms_without_touching_documents(use_vault, capsys):
    docs = [_store(f"doc {i}") for i in range(3)]
    blobs = {d.pk: read_object(d.storage_name) for d in docs}
    use_vault.requests.clear()
    call_command("rotate_kek", retire_old=True)
    out = capsys.readouterr().out
    assert (
        "New KEK transit:qaryz-vault-kek:v2: 3 data key(s) re-wrapped, 0 column key(s) re-wrapped, 1 old KEK(s) retired."
        in out
    )
    paths = [p for _, p in use_vault.requests]
    assert paths.count("/v1/transit/rewrap/qaryz-vault-kek") == 3
    assert "/v1/transit/decrypt/qaryz-vault-kek" not in paths  # the data keys never came to Qaryz
    key = use_vault.keys["qaryz-vault-kek"]
    assert key.latest == 2 and key.min_decryption_version == 2
    for doc in StoredDocument.objects.all():
        assert doc.kek_id == "transit:qaryz-vault-kek:v2"
        assert bytes(doc.wrapped_key).startswith(b"vault:v2:")
        assert read_object(doc.storage_name) == blobs[doc.pk]
        assert read_document(doc) in {b"doc 0", b"doc 1", b"doc 2"}
    event = AuditEvent.objects.get(action="vault.kek_rotated")
    assert event.category == "security" and "transit:qaryz-vault-kek:v1" in event.data
    assert _store("after").kek_id == "transit:qaryz-vault-kek:v2"


def test_retire_keeps_every_version_still_in_use(use_vault):
    _store("old")
    ring = keyring()
    ring.rotate()
    ring.rotate()
    assert ring.retire({"transit:qaryz-vault-kek:v1", "transit:qaryz-vault-kek:v3"}) == []
    assert use_vault.keys["qaryz-vault-kek"].min_decryption_version == 1
    assert ring.retire({"transit:qaryz-vault-kek:v2"}) == ["transit:qaryz-vault-kek:v1"]
    assert use_vault.keys["qaryz-vault-kek"].min_decryption_version == 2


@pytest.mark.req("R-3P-1")
def test_moving_from_the_file_keyring_into_the_kms(settings, vault, client_obj):
    from qaryz.clients.models import Client
    from qaryz.records import fieldkeys

    old = _store("before the KMS")  # file keyring (embedded default)
    client_obj.address = "г. Алматы, ул. Абая, 10"  # an encrypted column: its data key moves too
    client_obj.save(update_fields=["address"])
    assert old.kek_id.startswith("kek-")
    settings.RECORDS_KEK_BACKEND = "vault-transit"
    settings.RECORDS_VAULT_ADDR = vault.url
    settings.RECORDS_VAULT_TOKEN = TOKEN
    assert read_document(old) == b"before the KMS"  # still readable through the file keyring
    result = rotate_kek(retire_old=True)  # the Transit key does not exist yet: created as v1
    assert result["kek_id"] == "transit:qaryz-vault-kek:v1" and result["rewrapped"] == 1
    moved = StoredDocument.objects.get(pk=old.pk)
    assert moved.kek_id == "transit:qaryz-vault-kek:v1" and bytes(moved.wrapped_key).startswith(b"vault:v1:")
    assert read_document(moved) == b"before the KMS"
    assert result["field_keys"] == 1
    fieldkeys.forget_cached_keys()
    assert Client.objects.get(pk=client_obj.pk).address == "г. Алматы, ул. Абая, 10"


def test_outages_are_key_service_errors_not_integrity_errors(use_vault, settings):
    doc = _store("kept safe")
    use_vault.sealed = True
    with pytest.raises(KeyServiceError, match="503.*Vault is sealed"):
        read_document(doc)
    use_vault.sealed = False
    settings.RECORDS_VAULT_TOKEN = "wrong"
    with pytest.raises(KeyServiceError, match="403.*permission denied"):
        read_document(doc)
    settings.RECORDS_VAULT_TOKEN = TOKEN
    assert read_document(doc) == b"kept safe"


def test_slow_kms_times_out(use_vault, settings):
    doc = _store("slow")
    settings.RECORDS_VAULT_READ_TIMEOUT = 0.3
    use_vault.delay = 1.5
    started = time.monotonic()
    with pytest.raises(KeyServiceError, match="did not answer"):
        read_document(doc)
    assert time.monotonic() - started < 1.5  # one retry, each cut at the timeout
    use_vault.delay = 0


def test_unreachable_kms_and_nothing_stored(use_vault, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    settings.RECORDS_VAULT_ADDR = f"http://127.0.0.1:{free_port}"
    with pytest.raises(KeyServiceError, match="unreachable"):
        _store("never stored")
    assert not StoredDocument.objects.exists()


@pytest.mark.req("R-INT-1")
def test_tampered_or_swapped_wrapped_keys_fail_as_integrity_errors(use_vault):
    first, second = _store("first"), _store("second")
    forged = bytes(first.wrapped_key)[:-6] + (
        b"AAAAA=" if not bytes(first.wrapped_key).endswith(b"AAAAA=") else b"BBBBB="
    )
    StoredDocument.objects.filter(pk=first.pk).update(wrapped_key=forged)
    with pytest.raises(DocumentIntegrityError, match="message authentication failed|unable to decode"):
        read_document(StoredDocument.objects.get(pk=first.pk))
    # The other document's (genuine) data key does not open this document's object.
    StoredDocument.objects.filter(pk=first.pk).update(wrapped_key=second.wrapped_key)
    with pytest.raises(DocumentIntegrityError):
        read_document(StoredDocument.objects.get(pk=first.pk))
    # A KEK id that does not match the ciphertext's version is refused before asking Vault.
    StoredDocument.objects.filter(pk=second.pk).update(kek_id="transit:qaryz-vault-kek:v7")
    with pytest.raises(DocumentIntegrityError, match="does not belong"):
        read_document(StoredDocument.objects.get(pk=second.pk))


def test_rotation_skips_purged_documents(use_vault):
    from datetime import date

    doc = store_document(b"old", media_type="text/plain", kind="note", direction="inbound", reference="x:1")
    set_obligations_end("x:1", date(2000, 1, 1))
    assert purge_expired_documents() == 1
    assert rotate_kek()["rewrapped"] == 0
    assert StoredDocument.objects.get(pk=doc.pk).wrapped_key in (b"", memoryview(b""))


def test_configuration_errors(settings, vault):
    settings.RECORDS_KEK_BACKEND = "hsm-of-dreams"
    with pytest.raises(ImproperlyConfigured):
        keyring()
    settings.RECORDS_KEK_BACKEND = "vault-transit"
    settings.RECORDS_VAULT_ADDR = ""
    with pytest.raises(KeyServiceError, match="QARYZ_VAULT_ADDR"):
        keyring()
    ring = VaultTransitKeyring(addr=vault.url, token=TOKEN, key="missing-key")
    with pytest.raises(KeyServiceError, match="does not exist"):
        ring.current_id()
    with pytest.raises(KeyServiceError, match="no Vault token"):
        VaultTransitKeyring(addr=vault.url, token="", token_file="", key="k").wrap(b"x" * 32)


def test_token_from_a_file_is_reread(settings, vault, tmp_path):
    token_file = tmp_path / "vault-token"
    token_file.write_text("stale\n")
    ring = VaultTransitKeyring(addr=vault.url, token="", token_file=str(token_file), key="k")
    with pytest.raises(KeyServiceError, match="403"):
        ring.wrap(b"k" * 32)
    token_file.write_text(TOKEN + "\n")  # Vault Agent renewed the token
    kek_id, wrapped = ring.wrap(b"k" * 32)
    assert ring.unwrap(kek_id, wrapped) == b"k" * 32
    assert vault.requests[-1] == ("POST", "/v1/transit/decrypt/k")


def test_fake_answers_like_vault(vault):
    """The fake itself: the shapes the adapter relies on."""
    headers = {"X-Vault-Token": TOKEN}
    assert httpx.get(f"{vault.url}/v1/transit/keys/nope", headers=headers).status_code == 404
    answer = httpx.post(
        f"{vault.url}/v1/transit/encrypt/k", json={"plaintext": "aGk="}, headers=headers
    ).json()
    assert answer["data"]["ciphertext"].startswith("vault:v1:") and answer["data"]["key_version"] == 1
    assert httpx.post(f"{vault.url}/v1/transit/encrypt/k", json={"plaintext": "aGk="}).status_code == 403
    plain = httpx.post(
        f"{vault.url}/v1/transit/decrypt/k",
        json={"ciphertext": answer["data"]["ciphertext"]},
        headers=headers,
    ).json()
    assert plain == {"data": {"plaintext": "aGk="}}


def test_backup_manifest_names_the_kms_and_survives_its_outage(use_vault):
    from qaryz.records.backup import _settings_snapshot

    _store("x")
    snapshot = _settings_snapshot()
    assert snapshot["kek_backend"] == "vault-transit"
    assert snapshot["current_kek_id"] == "transit:qaryz-vault-kek:v1"
    assert snapshot["kek_service"]["addr"] == use_vault.url and "token" not in snapshot["kek_service"]
    assert TOKEN not in str(snapshot)
    use_vault.sealed = True
    assert _settings_snapshot()["current_kek_id"].startswith("unavailable: Vault answered 503")
