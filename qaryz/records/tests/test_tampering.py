"""A DBA disables the append-only triggers and edits the trail directly; verify_audit notices."""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from qaryz.records import append_only, chain
from qaryz.records.models import AuditEvent
from qaryz.records.selectors import verify_trail
from qaryz.records.services import record_event

pytestmark = [pytest.mark.django_db, pytest.mark.req("R-AUD-1")]


@contextmanager
def dba():
    """What someone with database rights does: switch the triggers off, edit, switch them on."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE records_auditevent DISABLE TRIGGER USER")
            cursor.execute("ALTER TABLE records_auditcheckpoint DISABLE TRIGGER USER")
        else:
            append_only.remove(connection)
        yield cursor
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE records_auditevent ENABLE TRIGGER USER")
            cursor.execute("ALTER TABLE records_auditcheckpoint ENABLE TRIGGER USER")
        else:
            append_only.install(connection)


@pytest.fixture
def trail():
    return [record_event("loan.disbursed", data={"amount": f"{100 * i}.00"}) for i in range(1, 6)]


def _verify_fails_at(seq: int, reason: str) -> None:
    result = verify_trail()
    assert not result.ok
    assert result.first_break.seq == seq, result.first_break
    assert reason in result.first_break.reason
    with pytest.raises(CommandError, match=f"BROKEN at record #{seq}") as raised:
        call_command("verify_audit")
    assert raised.value.returncode == 1


def test_intact_trail_verifies(trail, capsys):
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert "Checked 5 audit records" in out and "records/s" in out and "intact" in out


def test_changed_record_is_detected(trail):
    with dba() as cursor:
        cursor.execute("UPDATE records_auditevent SET data = %s WHERE seq = 3", ['{"amount":"1.00"}'])
    _verify_fails_at(3, "does not match its hash")


def test_changed_time_is_detected(trail):
    with dba() as cursor:
        cursor.execute("UPDATE records_auditevent SET ts = ts + 1 WHERE seq = 2")
    _verify_fails_at(2, "does not match its hash")


def test_deleted_record_is_detected(trail):
    with dba() as cursor:
        cursor.execute("DELETE FROM records_auditevent WHERE seq = 3")
    _verify_fails_at(4, "missing")


def test_deleted_tail_is_detected(trail):
    with dba() as cursor:
        cursor.execute("DELETE FROM records_auditevent WHERE seq >= 4")
    _verify_fails_at(4, "chain head")


def test_inserted_record_is_detected(trail):
    """A forged event slipped in after #2 with a correct-looking hash: later links break."""
    with dba() as cursor:
        cursor.execute("UPDATE records_auditevent SET seq = seq + 100 WHERE seq >= 3")
        cursor.execute("UPDATE records_auditevent SET seq = seq - 99 WHERE seq >= 103")
        second = AuditEvent.objects.get(seq=2)
        forged = AuditEvent(
            seq=3,
            ts=second.ts,
            category="business",
            action="loan.written_off",
            actor_type="system",
            data="{}",
            prev_hash=second.hash,
            hash="",
        )
        forged.hash = chain.record_hash(second.hash, [str(getattr(forged, f)) for f in chain.FIELDS])
        forged.save(force_insert=True)
    assert AuditEvent.objects.count() == 6
    _verify_fails_at(4, "")


def test_full_rewrite_is_caught_by_an_exported_checkpoint(trail, tmp_path):
    exported = tmp_path / "checkpoint.json"
    call_command("audit_checkpoint", output=str(exported))
    checkpoint = json.loads(exported.read_text())
    record_event("later.event")
    # Rewrite the whole table consistently: change #2, recompute every hash, fix the head, and
    # remove the stored checkpoints. Only the exported checkpoint remembers the truth.
    with dba() as cursor:
        cursor.execute("UPDATE records_auditevent SET data = %s WHERE seq = 2", ['{"amount":"0.01"}'])
        prev = chain.GENESIS
        for event in AuditEvent.objects.order_by("seq"):
            digest = chain.record_hash(prev, [str(getattr(event, f)) for f in chain.FIELDS])
            cursor.execute(
                "UPDATE records_auditevent SET prev_hash = %s, hash = %s WHERE seq = %s",
                [prev, digest, event.seq],
            )
            prev = digest
        cursor.execute("UPDATE records_auditchainhead SET hash = %s", [prev])
        cursor.execute("DELETE FROM records_auditcheckpoint")
    assert verify_trail().ok  # the chain alone cannot tell
    with pytest.raises(CommandError, match=f"BROKEN at record #{checkpoint['seq']}"):
        call_command("verify_audit", checkpoint=[str(exported)])


def test_stored_checkpoints_are_checked_too(trail):
    call_command("audit_checkpoint", output="/dev/null")
    with dba() as cursor:
        prev = chain.GENESIS
        cursor.execute("UPDATE records_auditevent SET action = 'x' WHERE seq = 1")
        for event in AuditEvent.objects.order_by("seq"):
            digest = chain.record_hash(prev, [str(getattr(event, f)) for f in chain.FIELDS])
            cursor.execute(
                "UPDATE records_auditevent SET prev_hash = %s, hash = %s WHERE seq = %s",
                [prev, digest, event.seq],
            )
            prev = digest
        cursor.execute("UPDATE records_auditchainhead SET hash = %s", [prev])
    result = verify_trail()
    assert not result.ok and "checkpoint" in result.first_break.reason


def test_forged_checkpoint_file_is_refused(trail, tmp_path):
    exported = tmp_path / "checkpoint.json"
    call_command("audit_checkpoint", output=str(exported))
    data = json.loads(exported.read_text())
    data["hash"] = "f" * 64
    exported.write_text(json.dumps(data))
    with pytest.raises(CommandError, match="signature") as raised:
        call_command("verify_audit", checkpoint=[str(exported)])
    assert raised.value.returncode == 2
