"""Backup → wipe → restore on the test database (SQLite or PostgreSQL) (R-BAK-1)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from qaryz.records.backup import BackupError, restore_backup
from qaryz.records.models import AuditEvent, StoredDocument
from qaryz.records.selectors import verify_trail
from qaryz.records.services import read_document, record_event, store_document
from qaryz.records.storage import read_object


@pytest.mark.req("R-BAK-1")
@pytest.mark.django_db(transaction=True)
def test_backup_wipe_restore(tmp_path, capsys):
    from qaryz.clients.models import Client

    client = Client.objects.create(kind="individual", iin="900101300123", phone="+77011234567")
    contents = {
        store_document(
            b"%PDF contract " + bytes([i]) * 2000,
            media_type="application/pdf",
            kind="contract",
            direction="outbound",
            owner=client,
        ).pk: i
        for i in range(4)
    }
    store_document(b'{"text":"hello"}', media_type="application/json", kind="message", direction="inbound")
    record_event("loan.disbursed", data={"amount": "250000.00"})
    events_before = AuditEvent.objects.count()
    archive = tmp_path / "qaryz.backup"

    call_command("backup", str(archive))
    assert "vault object(s)" in capsys.readouterr().out
    blob = archive.read_bytes()
    assert b"%PDF contract" not in blob and b"loan.disbursed" not in blob and b"SQLite format" not in blob

    # Wipe: every table emptied, every vault object gone.
    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)
    # (flush re-runs post_migrate hooks, which may write a few fresh events, e.g. role groups)
    assert (
        not StoredDocument.objects.exists()
        and not AuditEvent.objects.filter(action="loan.disbursed").exists()
    )

    call_command("restore", str(archive), yes=True)
    out = capsys.readouterr().out
    assert "verified" in out and "0 failed" in out
    assert AuditEvent.objects.count() == events_before
    assert verify_trail().ok
    assert StoredDocument.objects.count() == 5
    for doc in StoredDocument.objects.all():
        content = read_document(doc)
        if doc.pk in contents:
            assert content == b"%PDF contract " + bytes([contents[doc.pk]]) * 2000
    assert Client.objects.get().iin == "900101300123"
    # The restored database keeps working: new events chain on, triggers still refuse changes.
    record_event("after.restore")
    assert verify_trail().ok
    from django.db import IntegrityError, connection, transaction

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM records_auditevent")


@pytest.mark.req("R-BAK-1")
@pytest.mark.django_db(transaction=True)
def test_archive_with_other_key_or_cut_does_not_restore(tmp_path):
    store_document(b"x", media_type="text/plain", kind="note", direction="internal")
    archive = tmp_path / "a.backup"
    call_command("backup", str(archive))
    other_key = tmp_path / "other.key"
    other_key.write_bytes(b"k" * 32)
    with pytest.raises(BackupError, match="does not decrypt"):
        restore_backup(archive, key_file=other_key)
    cut = tmp_path / "cut.backup"
    cut.write_bytes(archive.read_bytes()[:-100])
    with pytest.raises(CommandError):
        call_command("restore", str(cut), yes=True)
    assert read_object(StoredDocument.objects.get().storage_name)


@pytest.mark.django_db
def test_backup_refuses_to_run_inside_a_transaction_on_sqlite(tmp_path):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with pytest.raises(CommandError, match="outside of a database transaction"):
        call_command("backup", str(tmp_path / "x.backup"))


def test_backup_key_is_created_with_0600(tmp_path):
    from qaryz.records.backup import backup_key

    key = backup_key()
    assert len(key) == 32
    assert (Path(settings.KEY_DIR) / "backup.key").stat().st_mode & 0o077 == 0
