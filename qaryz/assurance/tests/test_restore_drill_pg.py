"""Backup → wipe → restore drill into a fresh PostgreSQL database (R-BAK-1, issue 15, item 2).

A small serviced portfolio is built and committed (three loans, a payment, a close of business
with accruals, overdue moves and penalties; contracts, receipts and a letter in the vault; audit
events). ``manage.py backup`` writes the archive. The "server is lost": a new, empty database and
an empty data directory (no vault objects) – only the key directory survives, as docs/records.md
prescribes (keys are backed up apart from the data). ``manage.py restore`` runs in another process
against them, then ``check_ledger`` and ``verify_audit``. The restored ledger – every transfer,
every account balance, every loan's cached balances and schedule rows – equals the original row
for row; the audit chain verifies; every document decrypts (restore reads each one back).

The in-place drill on both databases is ``qaryz/records/tests/test_backup.py``.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from qaryz.lending.tests.conftest import _fresh_bureau_memory, lending_setup  # noqa: F401
from qaryz.servicing import close_of_day, repayments
from qaryz.servicing.models import Instalment, Loan
from qaryz.servicing.tests.copies import PG_ADMIN, Copy
from qaryz.servicing.tests.factories import active_loan
from qaryz.servicing.tests.test_close_of_day import START

pytestmark = [pytest.mark.req("R-BAK-1"), pytest.mark.django_db(transaction=True)]

BALANCES = (
    "SELECT account, SUM(amount) FROM ("
    " SELECT debit_id AS account, amount FROM servicing_transfer"
    " UNION ALL SELECT credit_id, -amount FROM servicing_transfer) AS legs"
    " GROUP BY account ORDER BY account"
)


def _state(copy: Copy) -> dict[str, list[tuple]]:
    return {
        **copy.snapshot(),
        "balances": copy.query(BALANCES),
        "audit": copy.query("SELECT seq, action, hash FROM records_auditevent ORDER BY seq"),
        "documents": copy.query(
            "SELECT id, kind, sha256, storage_name FROM records_storeddocument WHERE purged_at IS NULL ORDER BY id"
        ),
        "clients": copy.query("SELECT id, iin, phone FROM clients_client ORDER BY id"),
    }


def _finish(process) -> str:  # type: ignore[no-untyped-def]
    output, _ = process.communicate(timeout=300)
    text = output.decode(errors="replace")
    assert process.returncode == 0, text
    return text


def test_backup_wipe_restore_into_a_fresh_database(lending_setup, tmp_path):  # noqa: F811
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL drill (pg_dump / pg_restore); the in-place drill runs on both databases")
    loans = [active_loan(lending_setup, START) for _ in range(3)]
    first = Instalment.objects.get(loan=loans[1], number=1)
    repayments.post_payment(
        loans[1], channel="bank", payer_reference="DRILL-1", amount_tiyn=first.total, value_date=START
    )
    close_of_day.run(first.due_date + dt.timedelta(days=4), booking_date=START)
    assert Loan.objects.filter(penalty__gt=0).exists() or Loan.objects.filter(days_past_due__gt=0).exists()

    source = Copy(
        f"postgres://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        str(connection.settings_dict["NAME"]),
        "postgresql",
    )
    before = _state(source)
    assert before["transfers"] and before["documents"] and before["audit"], "the drill seeds nothing"

    archive = tmp_path / "qaryz.backup"
    call_command("backup", str(archive))

    fresh_name = f"{source.name}_restored_{uuid.uuid4().hex[:8]}"
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{fresh_name}"')
    fresh = Copy(f"postgres://postgres@127.0.0.1:5432/{fresh_name}", fresh_name, "postgresql")
    data_dir = tmp_path / "new-server"  # no vault objects, no database file: only the keys survive
    env = {"QARYZ_DATA_DIR": str(data_dir), "QARYZ_KEY_DIR": str(settings.KEY_DIR)}
    try:
        restored = _finish(fresh.manage("restore", str(archive), "--yes", **env))
        documents = len(before["documents"])
        assert "verified" in restored and f"{documents} document(s), 0 failed" in restored, restored
        assert sorted(p.name for p in (data_dir / "files").rglob("*") if p.is_file()), (
            "no vault object restored"
        )
        _finish(fresh.manage("check_ledger", **env))
        _finish(fresh.manage("verify_audit", **env))
        after = _state(fresh)
        for table, rows in before.items():
            assert after[table] == rows, f"{table} differs after the restore"
    finally:
        fresh.drop()
