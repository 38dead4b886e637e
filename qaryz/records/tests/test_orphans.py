"""Sweeping vault objects left by rolled-back transactions (local storage; S3 in test_s3_vault)."""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from qaryz.records.models import AuditEvent, StoredDocument
from qaryz.records.selectors import verify_trail
from qaryz.records.services import read_document, store_document, sweep_orphan_objects
from qaryz.records.storage import list_objects, vault_storage
from qaryz.records.tasks import sweep_vault_orphans_task

pytestmark = pytest.mark.django_db


class Rollback(Exception):
    pass


def _rolled_back_store(content: bytes) -> str:
    """store_document inside a transaction that fails afterwards: the object stays, the row not."""
    before = {name for name, _, _ in list_objects()}
    with pytest.raises(Rollback), transaction.atomic():
        store_document(content, media_type="text/plain", kind="note", direction="inbound")
        raise Rollback
    (name,) = {name for name, _, _ in list_objects()} - before
    assert not StoredDocument.objects.filter(storage_name=name).exists()
    return name


def _age(name: str, days: float) -> None:
    moment = (timezone.now() - timedelta(days=days)).timestamp()
    os.utime(vault_storage().path(name), (moment, moment))


@pytest.fixture
def vault_state():
    kept = store_document(b"a live document", media_type="text/plain", kind="note", direction="inbound")
    _age(kept.storage_name, 30)  # old, but its row exists
    old_orphan = _rolled_back_store(b"rolled back long ago")
    _age(old_orphan, 3)
    fresh_orphan = _rolled_back_store(b"transaction maybe still in flight")
    return kept, old_orphan, fresh_orphan


@pytest.mark.req("R-ARCH-1")
def test_dry_run_lists_orphans_and_deletes_nothing(vault_state):
    kept, old_orphan, fresh_orphan = vault_state
    result = sweep_orphan_objects(dry_run=True)
    assert result.scanned == 3
    assert [o["name"] for o in result.orphans] == [old_orphan]
    assert result.deleted == 0
    assert vault_storage().exists(old_orphan)
    summary = AuditEvent.objects.get(action="vault.orphans_swept")
    assert json.loads(summary.data) == {
        "dry_run": True,
        "grace_hours": 24.0,
        "scanned": 3,
        "orphans": 1,
        "deleted": 0,
        "deleted_bytes": 0,
        "locked": 0,
        "failed": 0,
    }
    assert not AuditEvent.objects.filter(action="vault.orphan_deleted").exists()


@pytest.mark.req("R-ARCH-1", "R-AUD-1")
def test_sweep_deletes_only_old_orphans_and_audits_each(vault_state):
    kept, old_orphan, fresh_orphan = vault_state
    size = vault_storage().size(old_orphan)
    result = sweep_orphan_objects()
    assert (result.deleted, result.deleted_bytes, result.failed) == (1, size, 0)
    assert not vault_storage().exists(old_orphan)
    assert vault_storage().exists(fresh_orphan)  # within the grace period
    assert read_document(kept) == b"a live document"
    event = AuditEvent.objects.get(action="vault.orphan_deleted")
    assert json.loads(event.data)["name"] == old_orphan and json.loads(event.data)["size"] == size
    assert verify_trail().ok
    # Later, once the grace period has passed for the other one too:
    later = sweep_orphan_objects(now=timezone.now() + timedelta(days=2))
    assert [o["name"] for o in later.orphans] == [fresh_orphan] and later.deleted == 1
    assert [name for name, _, _ in list_objects()] == [kept.storage_name]
    assert sweep_orphan_objects(now=timezone.now() + timedelta(days=2)).orphans == []


def test_row_committed_meanwhile_is_not_deleted(vault_state, monkeypatch):
    """A very slow transaction commits its row between the listing and the deletion."""
    kept, old_orphan, _ = vault_state
    from qaryz.records import services

    real_filter = StoredDocument.objects.filter
    calls = {"n": 0}

    def filter_then_commit(*args, **kwargs):
        calls["n"] += 1
        if "storage_name" in kwargs and calls["n"] > 1:  # the re-check before deleting
            return real_filter(pk=kept.pk)
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(services.StoredDocument.objects, "filter", filter_then_commit)
    result = sweep_orphan_objects()
    assert result.deleted == 0 and result.orphans == []
    assert vault_storage().exists(old_orphan)


def test_command_and_task(vault_state, capsys):
    _, old_orphan, _ = vault_state
    call_command("sweep_vault_orphans", "--dry-run")
    out = capsys.readouterr().out
    assert old_orphan in out and "1 orphan(s); 1 would be deleted." in out
    with pytest.raises(CommandError, match="at least one hour"):
        call_command("sweep_vault_orphans", "--grace-hours", "0.5")
    call_command("sweep_vault_orphans", "--grace-hours", "96")
    assert "0 orphan(s); 0 deleted" in capsys.readouterr().out
    assert vault_storage().exists(old_orphan)  # 3 days old: within 4 days of grace
    result = sweep_vault_orphans_task.enqueue()
    assert result.return_value == 1
    assert not vault_storage().exists(old_orphan)


def test_any_django_storage_is_listed_through_its_api(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    kept = store_document(b"kept", media_type="text/plain", kind="note", direction="inbound")
    orphan = _rolled_back_store(b"orphan")
    assert {name for name, _, _ in list_objects()} == {kept.storage_name, orphan}
    result = sweep_orphan_objects(now=timezone.now() + timedelta(days=2))
    assert [o["name"] for o in result.orphans] == [orphan] and result.deleted == 1
    assert not vault_storage().exists(orphan) and read_document(kept) == b"kept"
