from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from qaryz.records.models import AuditEvent, StoredDocument
from qaryz.records.services import DocumentIntegrityError, read_document, store_document
from qaryz.records.storage import read_object, vault_storage

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n% contract 42 between MFO and client - CONFIDENTIAL-MARKER\n%%EOF\n"


@pytest.mark.req("R-ARCH-1", "R-INT-1")
def test_round_trip_keeps_exact_bytes_and_metadata(client_obj):
    doc = store_document(
        PDF,
        media_type="application/pdf",
        kind="contract",
        direction="outbound",
        owner=client_obj,
        filename="contract-42.pdf",
        channel="web",
    )
    doc = StoredDocument.objects.get(pk=doc.pk)
    assert read_document(doc) == PDF
    assert (doc.media_type, doc.kind, doc.direction, doc.size) == (
        "application/pdf",
        "contract",
        "outbound",
        len(PDF),
    )
    assert (doc.owner_type, doc.owner_id) == ("clients.client", str(client_obj.pk))
    event = AuditEvent.objects.get(action="document.stored")
    assert event.target_id == str(doc.pk)


@pytest.mark.req("R-ARCH-1")
@pytest.mark.parametrize(
    "content,media_type",
    [
        (
            b'{"text":"\xd0\x97\xd0\xb4\xd1\x80\xd0\xb0\xd0\xb2\xd1\x81\xd1\x82\xd0\xb2\xd1\x83\xd0\xb9\xd1\x82\xd0\xb5"}',
            "application/json",
        ),
        (b"\xff\xd8\xff\xe0" + os.urandom(4096), "image/jpeg"),
        (b"", "text/plain"),
    ],
)
def test_any_format_round_trips(content, media_type):
    doc = store_document(content, media_type=media_type, kind="message", direction="inbound")
    assert read_document(doc) == content


@pytest.mark.req("R-3P-1")
def test_stored_object_has_no_plaintext_and_keys_are_per_document():
    first = store_document(PDF, media_type="application/pdf", kind="contract", direction="outbound")
    second = store_document(PDF, media_type="application/pdf", kind="contract", direction="outbound")
    blob = read_object(first.storage_name)
    assert b"CONFIDENTIAL-MARKER" not in blob and b"%PDF" not in blob
    assert blob != read_object(second.storage_name)
    assert bytes(first.wrapped_key) != bytes(second.wrapped_key)
    # The object sits under MEDIA_ROOT (data dir); the keys do not.
    assert Path(vault_storage().path(first.storage_name)).is_relative_to(Path(settings.MEDIA_ROOT))


@pytest.mark.req("R-3P-1")
def test_kek_file_created_with_0600_outside_the_data_dir():
    store_document(b"x", media_type="text/plain", kind="note", direction="internal")
    keyring = Path(settings.KEY_DIR) / "vault-kek.json"
    assert keyring.exists()
    assert stat.S_IMODE(keyring.stat().st_mode) == 0o600
    assert not keyring.resolve().is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert PDF not in keyring.read_bytes()


@pytest.mark.req("R-INT-1")
def test_changed_object_fails_loudly():
    doc = store_document(PDF, media_type="application/pdf", kind="contract", direction="outbound")
    path = Path(vault_storage().path(doc.storage_name))
    blob = bytearray(path.read_bytes())
    blob[-20] ^= 0x01
    path.write_bytes(bytes(blob))
    with pytest.raises(DocumentIntegrityError):
        read_document(doc)


@pytest.mark.req("R-INT-1")
def test_recorded_hash_mismatch_fails_loudly():
    doc = store_document(PDF, media_type="application/pdf", kind="contract", direction="outbound")
    StoredDocument.objects.filter(pk=doc.pk).update(sha256="0" * 64)
    with pytest.raises(DocumentIntegrityError, match="SHA-256"):
        read_document(StoredDocument.objects.get(pk=doc.pk))


@pytest.mark.req("R-INT-1")
def test_swapped_objects_are_detected():
    a = store_document(b"document A", media_type="text/plain", kind="note", direction="internal")
    b = store_document(b"document B", media_type="text/plain", kind="note", direction="internal")
    StoredDocument.objects.filter(pk=a.pk).update(storage_name="tmp")
    StoredDocument.objects.filter(pk=b.pk).update(storage_name=a.storage_name)
    with pytest.raises(DocumentIntegrityError):
        read_document(StoredDocument.objects.get(pk=b.pk))


def test_missing_object_fails_loudly():
    doc = store_document(PDF, media_type="application/pdf", kind="contract", direction="outbound")
    vault_storage().delete(doc.storage_name)
    with pytest.raises(DocumentIntegrityError, match="missing"):
        read_document(doc)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        store_document(b"x", media_type="text/plain", kind="note", direction="sideways")
    with pytest.raises(TypeError):
        store_document("text", media_type="text/plain", kind="note", direction="inbound")  # type: ignore[arg-type]


def test_store_inside_a_rolled_back_transaction_leaves_no_row():
    with pytest.raises(RuntimeError), transaction.atomic():
        store_document(PDF, media_type="application/pdf", kind="contract", direction="outbound")
        raise RuntimeError
    assert not StoredDocument.objects.exists()
    assert not AuditEvent.objects.exists()
