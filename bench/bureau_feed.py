# ruff: noqa: S603, S608 – a bench: SQL built from its own integers and dates, runs manage.py
"""The credit-bureau feed snapshot at portfolio scale (issue 12 item 2), on PostgreSQL.

    .venv/bin/python bench/bureau_feed.py --loans 100000
    .venv/bin/python bench/bureau_feed.py --loans 1000000 --send    # also send through the simulator

Creates the throw-away database ``qaryz_bench_bureau`` (dropped at the end unless ``--keep``),
migrates it and generates the portfolio with the close-of-business bench's generator
(``bench/servicing_close_of_day.py``: N active loans, 12-row schedules, 1 in 20 overdue), adds one
client per loan (set-based; the feed joins the borrower's IIN) and suspends 1 loan in 100.

Then, in a child process (peak RSS from ``os.wait4``):
- the raw floor: one plain ``INSERT … SELECT`` of every loan's balances into the same table
  (no status logic), rolled back;
- the feed snapshot: ``qaryz.bureau.feed.insert_snapshot`` – the one statement ``send_bureau_feed``
  runs per date – committed;
- with ``--send``: every record sent in batches (``QARYZ_BUREAU_FEED_BATCH_SIZE``) through the
  embedded simulator, which validates and stores each one.
It prints the hardware, each figure and the ratio snapshot / floor.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
DB = "qaryz_bench_bureau"
ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
URL = f"postgres://postgres@127.0.0.1:5432/{DB}"

# Reuse the close-of-business bench's portfolio generator, hardware line and product set-up.
_spec = importlib.util.spec_from_file_location(
    "servicing_close_of_day", ROOT / "bench" / "servicing_close_of_day.py"
)
cob = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cob)
DAY = cob.DAY


def env() -> dict[str, str]:
    return {
        **cob.env(),
        "DATABASE_URL": URL,
        "QARYZ_BUREAU_FEED": "embedded",
    }


W1 = list(range(1, 12))
W2 = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]


def _weighted(base: str, weights: list[int]) -> str:
    terms = " + ".join(f"substr({base}, {i + 1}, 1)::int * {w}" for i, w in enumerate(weights))
    return f"(({terms}) % 11)"


def iin_sql(g: str) -> str:
    """A valid IIN per row in SQL: birth date 1970-01-01 + g / 10000 days, century digit 3 or 4, serial
    g % 10000, and the check digit of qaryz.core.identifiers (the rare base with none keeps 0)."""
    base = (
        f"(to_char(DATE '1970-01-01' + ({g} / 10000), 'YYMMDD') || (3 + {g} % 2)::text"
        f" || lpad(({g} % 10000)::text, 4, '0'))"
    )
    first, second = _weighted(base, W1), _weighted(base, W2)
    return f"({base} || (CASE WHEN {first} <> 10 THEN {first} WHEN {second} <> 10 THEN {second} ELSE 0 END)::text)"


def add_clients(conn: psycopg.Connection, loans: int) -> None:
    """One individual per loan (ids 1..N, as the generator's fake client ids), 1 loan in 100 suspended."""
    with conn.cursor() as cur:
        cur.execute(
            f"""
            INSERT INTO clients_client (id, kind, status, iin, bin, surname, given_name, patronymic, legal_name,
                phone, preferred_language, id_doc_type, id_doc_number, id_doc_expiry, face_photo_ref,
                created_at, confirmed_at, address)
            SELECT g, 'individual', 'confirmed', {iin_sql("g")}, NULL, 'Bench', 'Client', '', '',
                '+77' || lpad(g::text, 9, '0'), 'ru', '', '', NULL, '', now(), now(), 'г. Алматы, ул. Абая, 1'
            FROM generate_series(1, {loans}) g
            """
        )
        cur.execute("SELECT setval(pg_get_serial_sequence('clients_client', 'id'), %s)", [loans])
        cur.execute(f"UPDATE servicing_loan SET suspended_from = DATE '{DAY}' - 3 WHERE id % 100 = 0")
    conn.commit()


CHILD = """
import os, sys, time, datetime as dt
import django; django.setup()
from django.db import connection, transaction
from django.utils import timezone
from qaryz.bureau import feed
day = dt.date.fromisoformat(sys.argv[1])
with transaction.atomic():
    t = time.perf_counter()
    with connection.cursor() as c:
        c.execute(
            "INSERT INTO bureau_record (kind, feed_date, loan_id, contract_number, subject_id, subject_kind,"
            " reported_status, final, amount, principal, principal_overdue, interest, interest_overdue, penalty,"
            " fees_overdue, days_past_due, dpd_bucket, reason, outcome, reject_code, reject_message, created_at)"
            " SELECT 'daily', %s, l.id, l.number, c.iin, 'iin', 'current', false, l.principal,"
            " l.principal_current + l.principal_overdue, l.principal_overdue, l.interest_accrued + l.interest_overdue,"
            " l.interest_overdue, l.penalty, l.fee_overdue, l.days_past_due, l.dpd_bucket, '', 'pending', '', '', now()"
            " FROM servicing_loan l JOIN clients_client c ON c.id = l.client_id",
            [day],
        )
        floor_rows = c.rowcount
    floor = time.perf_counter() - t
    transaction.set_rollback(True)
from qaryz.bureau.models import FeedDay
t = time.perf_counter()
with transaction.atomic():
    row = FeedDay.objects.create(date=day)
    rows = feed.insert_snapshot(day, timezone.now())
    row.records = rows
    row.save(update_fields=["records"])
snapshot = time.perf_counter() - t
print(f"FLOOR {floor:.3f} {floor_rows}")
print(f"SNAPSHOT {snapshot:.3f} {rows}")
if "--send" in sys.argv:
    from django.contrib.auth import get_user_model
    from django.db.models import Q
    from qaryz.bureau import services
    from qaryz.bureau.adapters.embedded import EmbeddedCreditBureau
    from qaryz.bureau.models import Record
    user = get_user_model().objects.create_user(username="bench-reporter", is_staff=True)
    services.appoint_responsible_person(user, account="bench", actor="system",
                                        active_from=timezone.localdate() - dt.timedelta(days=1))
    t = time.perf_counter()
    result = services._send(Q(kind="daily", feed_date=day), row, EmbeddedCreditBureau(), None)
    print(f"SEND {time.perf_counter() - t:.3f} {result.batches} {result.accepted} {result.rejected}")
"""


def run_child(send: bool) -> tuple[dict[str, list[str]], float, float]:
    started = time.perf_counter()
    args = [sys.executable, "-c", CHILD, DAY.isoformat()] + (["--send"] if send else [])
    child = subprocess.Popen(args, cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert child.stdout is not None
    output = child.stdout.read().decode()
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"bench child failed:\n{output}")
    figures = {}
    for line in output.splitlines():
        parts = line.split()
        if parts and parts[0] in ("FLOOR", "SNAPSHOT", "SEND"):
            figures[parts[0]] = parts[1:]
    return figures, time.perf_counter() - started, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--send", action="store_true", help="also send every record through the simulator")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DB}")
    try:
        t = time.perf_counter()
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env(), check=True)
        out = subprocess.run(
            [sys.executable, "-c", cob.SETUP_PRODUCT],
            cwd=ROOT,
            env=env(),
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={DB}") as conn:
            # The generator predates Loan.suspension_reason (NOT NULL, no database default): give it one
            # in this throw-away database so the shared generator keeps working unchanged.
            conn.execute("ALTER TABLE servicing_loan ALTER COLUMN suspension_reason SET DEFAULT ''")
            conn.commit()
            cob.generate(conn, args.loans, int(out[-2]), int(out[-1]))
            add_clients(conn, args.loans)
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")
            print(cob.hardware(conn))
            counts = conn.execute(
                "SELECT COUNT(*), SUM(CASE WHEN days_past_due > 0 THEN 1 ELSE 0 END),"
                " SUM(CASE WHEN suspended_from IS NOT NULL THEN 1 ELSE 0 END) FROM servicing_loan"
            ).fetchone()
        print(
            f"portfolio: {counts[0]:,} loans, {counts[1]:,} overdue, {counts[2]:,} suspended;"
            f" set-up {time.perf_counter() - t:.0f} s"
        )
        figures, elapsed, rss = run_child(args.send)
        floor, floor_rows = float(figures["FLOOR"][0]), int(figures["FLOOR"][1])
        snapshot, rows = float(figures["SNAPSHOT"][0]), int(figures["SNAPSHOT"][1])
        print(f"floor (plain INSERT … SELECT of {floor_rows:,} rows, rolled back): {floor:.2f} s")
        print(f"feed snapshot ({rows:,} records, one INSERT … SELECT, committed): {snapshot:.2f} s")
        print(f"ratio snapshot / floor: {snapshot / floor:.2f}; {rows / snapshot:,.0f} records/s")
        if "SEND" in figures:
            seconds, batches, accepted, rejected = figures["SEND"]
            print(
                f"send through the embedded simulator: {float(seconds):.2f} s, {batches} batches,"
                f" {accepted} accepted, {rejected} rejected"
            )
        print(f"child process (Django start-up included): {elapsed:.2f} s, peak RSS {rss:.0f} MiB")
    finally:
        if not args.keep:
            with psycopg.connect(ADMIN, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
