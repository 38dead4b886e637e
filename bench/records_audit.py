"""Audit trail figures: appends/s through record_event and verify_audit records/s.

    .venv/bin/python bench/records_audit.py            # SQLite (temp file) and PostgreSQL
    .venv/bin/python bench/records_audit.py --only sqlite

Each database runs in its own process (settings come from the environment). PostgreSQL uses a
throw-away database ``qaryz_records_bench`` on 127.0.0.1:5432 (dropped at the end). The
verification table is grown to VERIFY_ROWS with valid chained rows written in bulk.

Every figure is printed with the load average (the build machine is shared). "commit ceiling" is
the rate of durable one-row INSERT + COMMIT on the same database and disk, the upper bound of an
append in its own transaction; appends inside a caller's transaction do not wait for the disk.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPENDS = 5_000
ROUNDS = 3
VERIFY_ROWS = 300_000
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
PG_DB = "qaryz_records_bench"


def child() -> None:
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from qaryz.records import chain
    from qaryz.records.models import AuditChainHead
    from qaryz.records.selectors import verify_trail
    from qaryz.records.services import record_event

    call_command("migrate", verbosity=0)
    vendor = connection.vendor
    data = {"amount": "250000.00", "contract": "KZ-2026-000123", "status": "disbursed"}

    def load() -> str:
        a1, a5, a15 = os.getloadavg()
        return f"load {a1:.2f}/{a5:.2f}/{a15:.2f}"

    def commit_ceiling() -> float:
        """Durable commits/s of a one-integer INSERT on this database and disk: the upper bound of
        any append in its own transaction (each commit waits for the log to reach the disk)."""
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE IF NOT EXISTS bench_commit_probe (x integer)")
        start = time.perf_counter()
        with connection.cursor() as cursor:
            for i in range(1000):  # autocommit: one statement = one transaction = one round trip
                cursor.execute("INSERT INTO bench_commit_probe (x) VALUES (%s)", [i])
        return 1000 / (time.perf_counter() - start)

    for i in range(100):  # warm up (connection, prepared statement)
        record_event("bench.warmup", data={"i": i})
    for round_no in range(1, ROUNDS + 1):
        ceiling = commit_ceiling()
        start = time.perf_counter()
        for i in range(APPENDS):
            record_event("loan.disbursed", data={**data, "i": i})
        own_tx = APPENDS / (time.perf_counter() - start)
        print(
            f"{vendor:10}  round {round_no}: append (own transaction each): {own_tx:8,.0f}/s   "
            f"[commit ceiling {ceiling:,.0f}/s]   {load()}",
            flush=True,
        )
        start = time.perf_counter()
        for batch in range(APPENDS // 50):
            with transaction.atomic():
                for i in range(50):
                    record_event("loan.accrued", data={**data, "i": batch * 50 + i})
        in_tx = APPENDS / (time.perf_counter() - start)
        print(
            f"{vendor:10}  round {round_no}: append (50 per caller transaction): {in_tx:8,.0f}/s   {load()}",
            flush=True,
        )

    # Grow the trail with valid chained rows in bulk, then time the verification.
    head = AuditChainHead.objects.get()
    seq, prev, ts = head.seq, head.hash, head.ts
    rows = []
    for _ in range(VERIFY_ROWS - seq):
        seq += 1
        ts += 1
        values = [
            str(seq),
            str(ts),
            "business",
            "loan.accrued",
            "system",
            "",
            "",
            "servicing.loan",
            "42",
            "",
            "",
            "system",
            "",
            '{"amount":"12.34","day":"2026-11-22"}',
        ]
        digest = chain.record_hash(prev, values)
        rows.append((seq, ts, *values[2:], prev, digest))
        prev = digest
    columns = ", ".join(list(chain.FIELDS) + ["prev_hash", "hash"])
    marks = ", ".join(["%s"] * (len(chain.FIELDS) + 2))
    insert = f"INSERT INTO records_auditevent ({columns}) VALUES ({marks})"  # noqa: S608 – constant names
    with transaction.atomic(), connection.cursor() as cursor:
        for i in range(0, len(rows), 10_000):
            cursor.executemany(insert, rows[i : i + 10_000])
        AuditChainHead.objects.update(seq=seq, hash=prev, ts=ts)
    for _ in range(2):
        start = time.perf_counter()
        result = verify_trail()
        elapsed = time.perf_counter() - start
        assert result.ok and result.checked == VERIFY_ROWS, result
        print(
            f"{vendor:10}  verify_audit: {result.checked / elapsed:10,.0f} records/s "
            f"({result.checked:,} in {elapsed:.2f} s)   {load()}",
            flush=True,
        )


def run(url: str, tmp: str) -> None:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        QARYZ_DATA_DIR=tmp,
        QARYZ_KEY_DIR=str(Path(tmp) / "keys"),
        DJANGO_SETTINGS_MODULE="qaryz.settings",
        QARYZ_LOG_LEVEL="WARNING",
    )
    subprocess.run([sys.executable, __file__, "--child"], env=env, cwd=ROOT, check=True)  # noqa: S603


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    if args.child:
        child()
        return
    print(f"records audit bench: {APPENDS:,} appends each way, verification over {VERIFY_ROWS:,} records")
    print("(shared 2-core machine: other engineers' processes run at the same time)")
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "sqlite"):
            run(f"sqlite:///{tmp}/bench.sqlite3", tmp)
        if args.only in (None, "postgresql"):
            import psycopg

            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
                conn.execute(f'CREATE DATABASE "{PG_DB}"')
            try:
                run(f"postgres://postgres@127.0.0.1:5432/{PG_DB}", tmp)
            finally:
                with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')


if __name__ == "__main__":
    main()
