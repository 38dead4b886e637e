"""Stand-alone copies of the test database for tests that run the close of business in other
processes (``kill -9``, Celery workers): a file for SQLite (the in-memory test database backed up),
a database created from the test database as template for PostgreSQL. Each copy is read back
with the database's own driver, so that two runs can be compared row by row."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[3]
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


class Copy:
    def __init__(self, url: str, name: str, vendor: str) -> None:
        self.url, self.name, self.vendor = url, name, vendor

    def query(self, sql: str) -> list[tuple]:
        if self.vendor == "sqlite":
            with sqlite3.connect(self.name) as db:
                return [tuple(row) for row in db.execute(sql).fetchall()]
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={self.name}") as db:
            return [tuple(str(v) if hasattr(v, "isoformat") else v for v in row) for row in db.execute(sql)]

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.url,
            "DJANGO_SETTINGS_MODULE": "qaryz.settings",
            "QARYZ_LOG_JSON": "0",
            **extra,
        }

    def manage(self, *args: str, **extra: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env(**extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )

    def drop(self) -> None:
        if self.vendor == "postgresql":
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def snapshot(self) -> dict[str, list[tuple]]:
        """What a close of business writes, without ids and timestamps."""
        return {
            "transfers": self.query(
                "SELECT key, kind, entry, loan_id, debit_id, credit_id, amount, value_date, booking_date"
                " FROM servicing_transfer ORDER BY key"
            ),
            "loans": self.query(
                "SELECT id, status, closed_on, closed_through, accrued_through, penalty_through, cur_number,"
                " cur_start, cur_due, cur_interest, last_accrual, last_penalty, overdue_since, days_past_due,"
                " dpd_bucket, principal_current, principal_overdue, interest_accrued, interest_overdue, penalty,"
                " fee_overdue, advance, refund_payable, penalty_year_accrued, penalty_year_end"
                " FROM servicing_loan ORDER BY id"
            ),
            "instalments": self.query(
                "SELECT id, principal_paid, interest_paid, fee_paid, fell_due, paid_on"
                " FROM servicing_instalment ORDER BY id"
            ),
            "notices": self.query(
                "SELECT loan_id, overdue_since, deadline, status FROM servicing_delaynotice ORDER BY loan_id"
            ),
            "days": self.query("SELECT date, loans, figures FROM servicing_businessday ORDER BY date"),
        }


def copy_test_database(tmp_path: Path) -> Copy:
    """A copy of the (committed) test database; call from a ``transaction=True`` test."""
    if connection.vendor == "sqlite":
        path = tmp_path / f"copy-{uuid.uuid4().hex[:8]}.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        target.close()
        return Copy(f"sqlite:///{path}", str(path), "sqlite")
    import psycopg

    source = connection.settings_dict["NAME"]
    name = f"{source}_copy_{uuid.uuid4().hex[:8]}"
    connection.close()
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    return Copy(f"postgres://postgres@127.0.0.1:5432/{name}", name, "postgresql")
