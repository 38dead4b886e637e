from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from qaryz.records.models import AuditEvent, StoredDocument
from qaryz.records.services import read_document, rotate_kek, store_document
from qaryz.records.storage import read_object

pytestmark = pytest.mark.django_db


@pytest.mark.req("R-3P-1")
def test_rotate_kek_rewraps_keys_without_touching_documents(capsys):
    docs = [
        store_document(f"doc {i}".encode(), media_type="text/plain", kind="note", direction="inbound")
        for i in range(3)
    ]
    blobs = {d.pk: read_object(d.storage_name) for d in docs}
    old_kek = docs[0].kek_id
    call_command("rotate_kek", retire_old=True)
    assert "3 data key(s) re-wrapped" in capsys.readouterr().out
    ring = json.loads((Path(settings.KEY_DIR) / "vault-kek.json").read_text())
    assert old_kek not in ring["keys"] and ring["current"] != old_kek
    for doc in StoredDocument.objects.all():
        assert doc.kek_id == ring["current"]
        assert read_object(doc.storage_name) == blobs[doc.pk]  # ciphertext unchanged
        assert read_document(doc) in {b"doc 0", b"doc 1", b"doc 2"}
    assert AuditEvent.objects.filter(action="vault.kek_rotated", category="security").exists()
    new_doc = store_document(b"after", media_type="text/plain", kind="note", direction="inbound")
    assert new_doc.kek_id == ring["current"]


@pytest.mark.req("R-3P-1")
def test_rotate_kek_rewraps_the_encrypted_columns_data_keys(client_obj):
    from qaryz.clients.models import Client
    from qaryz.records import fieldkeys
    from qaryz.records.models import FieldKey

    Client.objects.filter(pk=client_obj.pk).update(address="")  # blank: no key needed
    client_obj.address = "г. Астана, пр. Мангилик Ел, 8"
    client_obj.save(update_fields=["address"])
    old_kek = FieldKey.objects.get(purpose="field").kek_id
    result = rotate_kek(retire_old=True)
    assert result["field_keys"] == FieldKey.objects.count() >= 1
    assert set(FieldKey.objects.values_list("kek_id", flat=True)) == {result["kek_id"]} != {old_kek}
    fieldkeys.forget_cached_keys()  # a new process: the data key is unwrapped with the new KEK
    assert Client.objects.get(pk=client_obj.pk).address == "г. Астана, пр. Мангилик Ел, 8"
