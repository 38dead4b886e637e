# ruff: noqa: S603, S608 – a bench: SQL built from its own integers and dates, runs manage.py
"""Close of business at portfolio scale (issue 10, Performance), on PostgreSQL.

    .venv/bin/python bench/servicing_close_of_day.py --loans 100000
    .venv/bin/python bench/servicing_close_of_day.py --loans 1000000
    .venv/bin/python bench/servicing_close_of_day.py --loans 100000 --template   # tuning: reuse the portfolio

Creates the throw-away database ``qaryz_bench_cob`` (dropped at the end unless ``--keep``), migrates
it, and generates in set-based SQL (generate_series) N active loans of one product with 12-row
schedules, disbursed over ~5 months before the business day: what fell due before it is paid, 1 in 20
loans has its last instalment unpaid (overdue, penalty accruing), ~1/30 of the loans have an
instalment falling due on the day (most covered by an advance, the others moving to overdue).
Loans point at application/contract/client ids that do not exist (the rows are inserted with
``session_replication_role = replica``, which skips foreign-key triggers, and those three foreign
keys of ``servicing_loan`` are then dropped in this database): the close of business reads none of
those tables, and a million signed applications would only slow the set-up.

Then, on the same database and in the same run:
- the raw-SQL floor (in one transaction, rolled back, then VACUUM): one two-leg interest entry per
  loan inserted by one statement into the same transfer table, one balance update over all loans,
  one overdue transition (the loans whose instalment falls due, from the instalment rows);
- one close of business: ``manage.py close_business_day --date D`` in a child process, timed, its
  peak RSS from ``os.wait4``.
It prints the hardware, each figure, the floor, the ratio and the peak RSS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
DB = "qaryz_bench_cob"
ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
URL = f"postgres://postgres@127.0.0.1:5432/{DB}"
DAY = dt.date(2027, 6, 15)  # the business day closed


def hardware(conn: psycopg.Connection) -> str:
    model = "?"
    mem = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    pg = conn.execute("SELECT version()").fetchone()[0]
    load = "/".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"nproc {os.cpu_count()}, memory {mem}, CPU {model}, {platform.system()} {platform.release()}\n"
        f"{pg}\nload average {load} (shared machine)"
    )


def env() -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": URL,
        "DJANGO_SETTINGS_MODULE": "qaryz.settings",
        "QARYZ_LOG_JSON": "0",
        "QARYZ_DATA_DIR": os.environ.get("QARYZ_DATA_DIR", str(ROOT / "var" / "bench-data")),
        "QARYZ_KEY_DIR": os.environ.get("QARYZ_KEY_DIR", str(ROOT / "var" / "bench-keys")),
    }


SETUP_PRODUCT = """
import django; django.setup()
from qaryz.lending.tests.factories import product, rule_sets
from qaryz.servicing import ledger
rule_sets()
p = product()
ledger.ensure_chart(p.pk)
from qaryz.lending.models import LegalRuleSet
print(p.pk, LegalRuleSet.objects.order_by("-effective_from").values_list("pk", flat=True).first())
"""


def generate(conn: psycopg.Connection, loans: int, product_id: int, rule_set_id: int) -> None:
    d = DAY.isoformat()
    order = '["overdue_principal", "overdue_interest", "penalty", "current_interest", "current_principal"]'
    with conn.cursor() as cur:
        cur.execute("SET session_replication_role = replica")  # no FK triggers: fake application ids
        # Loans: disbursed 30..179 days before D (so up to 5 instalments fell due before D).
        cur.execute(
            f"""
            INSERT INTO servicing_loan (id, application_id, contract_id, client_id, product_id, rule_set_id,
                number, status, payment_reference, principal, annual_rate_percent, day_count, method,
                term_months, payment_day, fees, upfront_fee, allocation_order, penalty_ppm_high,
                penalty_high_days, penalty_ppm_after, penalty_year_cap, penalty_year_end, penalty_year_accrued,
                disbursed_on, closed_on, closed_through, accrued_through, penalty_through, schedule_version,
                cur_number, cur_start, cur_due, cur_interest, last_accrual, last_penalty, overdue_since,
                days_past_due, dpd_bucket, principal_current, principal_overdue, interest_accrued,
                interest_overdue, penalty, fee_overdue, advance, refund_payable, created_at, suspension_reason)
            SELECT g, g, g, g, {product_id}, {rule_set_id}, 'B-' || g, 'active', lpad(g::text, 11, '0'),
                (100000 + (g % 400) * 1000) * 100, 45, 'actual_365', 'equal_principal', 12, NULL, '[]', 0,
                '{order}', 5000, 90, 300, (100000 + (g % 400) * 1000) * 10,
                (DATE '{d}' - (30 + g % 150) + INTERVAL '1 year')::date, 0,
                DATE '{d}' - (30 + g % 150), NULL, DATE '{d}' - 1, DATE '{d}' - 1, DATE '{d}' - 1, 1,
                NULL, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, now(), ''
            FROM generate_series(1, {loans}) g
            """
        )
        # 12 rows per loan; what fell due before D is paid, except the last one of 1 loan in 20.
        cur.execute(
            f"""
            INSERT INTO servicing_instalment (loan_id, version, number, period_start, due_date, principal,
                interest, fee, principal_paid, interest_paid, fee_paid, fell_due, paid_on)
            SELECT loan_id, 1, k, period_start, due_date, principal, interest, 0,
                CASE WHEN paid THEN principal ELSE 0 END, CASE WHEN paid THEN interest ELSE 0 END, 0,
                due_date < DATE '{d}', CASE WHEN paid THEN due_date END
            FROM (
                SELECT loan_id, k, period_start, due_date, principal, interest,
                    due_date < DATE '{d}' AND NOT (loan_id % 20 = 0 AND due_date >= DATE '{d}' - 31) AS paid
                FROM (
                    SELECT l.id AS loan_id, k,
                        (l.disbursed_on + (k - 1) * INTERVAL '1 month')::date AS period_start,
                        (l.disbursed_on + k * INTERVAL '1 month')::date AS due_date,
                        CASE WHEN k < 12 THEN l.principal / 12 ELSE l.principal - 11 * (l.principal / 12) END
                            AS principal,
                        (l.principal - (k - 1) * (l.principal / 12)) * 375 / 10000 AS interest
                    FROM servicing_loan l CROSS JOIN generate_series(1, 12) k
                ) rows
            ) marked
            """
        )
        cur.execute("ANALYZE servicing_loan")
        cur.execute("ANALYZE servicing_instalment")
        # The loans' cached figures from their schedules; interest accrued through D - 1.
        cur.execute(
            f"""
            UPDATE servicing_loan l SET
                cur_number = c.number, cur_start = c.period_start, cur_due = c.due_date, cur_interest = c.interest,
                principal_current = s.current_principal, principal_overdue = s.overdue_principal,
                interest_overdue = s.overdue_interest,
                overdue_since = s.overdue_since,
                days_past_due = CASE WHEN s.overdue_since IS NULL THEN 0 ELSE DATE '{d}' - 1 - s.overdue_since + 1 END,
                interest_accrued = (2 * c.interest * (DATE '{d}' - 1 - c.period_start) + (c.due_date - c.period_start))
                    / (2 * (c.due_date - c.period_start)),
                penalty = CASE WHEN s.overdue_since IS NULL THEN 0 ELSE 1000 END,
                penalty_year_accrued = CASE WHEN s.overdue_since IS NULL THEN 0 ELSE 1000 END,
                advance = CASE WHEN c.due_date = DATE '{d}' AND l.id % 7 <> 0 THEN c.principal + c.interest ELSE 0 END
            FROM (
                SELECT loan_id,
                    SUM(CASE WHEN NOT fell_due THEN principal ELSE 0 END) AS current_principal,
                    SUM(CASE WHEN fell_due THEN principal - principal_paid ELSE 0 END) AS overdue_principal,
                    SUM(CASE WHEN fell_due THEN interest - interest_paid ELSE 0 END) AS overdue_interest,
                    MIN(CASE WHEN fell_due AND principal_paid < principal THEN due_date + 1 END) AS overdue_since,
                    MIN(CASE WHEN NOT fell_due THEN number END) AS cur
                FROM servicing_instalment GROUP BY loan_id
            ) s JOIN servicing_instalment c ON c.loan_id = s.loan_id AND c.version = 1 AND c.number = s.cur
            WHERE s.loan_id = l.id
            """
        )
        cur.execute("SET session_replication_role = DEFAULT")
        # The loans reference applications, contracts and clients that the bench does not create: drop
        # those three foreign keys in this throw-away database (a row updated twice in a transaction
        # has its foreign keys re-checked). Product and rule set keys stay.
        for column in ("application_id", "contract_id", "client_id"):
            cur.execute(
                "SELECT conname FROM pg_constraint WHERE conrelid = 'servicing_loan'::regclass AND contype = 'f'"
                " AND conkey = ARRAY[(SELECT attnum FROM pg_attribute WHERE attrelid = 'servicing_loan'::regclass"
                " AND attname = %s)]",
                [column],
            )
            for (name,) in cur.fetchall():
                cur.execute(f'ALTER TABLE servicing_loan DROP CONSTRAINT "{name}"')
        cur.execute("SELECT setval(pg_get_serial_sequence('servicing_loan', 'id'), %s)", [loans])
    conn.commit()


def floor(conn: psycopg.Connection, product_id: int) -> dict[str, float]:
    d = DAY.isoformat()
    ids = dict(
        conn.execute(
            "SELECT kind, id FROM servicing_ledgeraccount WHERE product_id = %s", [product_id]
        ).fetchall()
    )
    figures = {}
    with conn.cursor() as cur:
        start = time.perf_counter()
        cur.execute(
            "INSERT INTO servicing_transfer (key, kind, entry, loan_id, debit_id, credit_id, amount, value_date,"
            " booking_date) SELECT 'floor:' || id || ':1', 'accrual', 'floor:' || id, id, %s, %s, 1 + id %% 100,"
            f" DATE '{d}', DATE '{d}' FROM servicing_loan WHERE status = 'active'",
            [ids["interest_accrued"], ids["interest_income"]],
        )
        figures["insert one transfer per loan"] = time.perf_counter() - start
        start = time.perf_counter()
        cur.execute(
            "UPDATE servicing_loan SET interest_accrued = interest_accrued + 1 + id % 100,"
            f" closed_through = DATE '{d}' WHERE status = 'active'"
        )
        figures["update every loan's balance"] = time.perf_counter() - start
        start = time.perf_counter()
        cur.execute(
            "UPDATE servicing_loan l SET principal_overdue = principal_overdue + i.principal - i.principal_paid,"
            " principal_current = principal_current - (i.principal - i.principal_paid)"
            f" FROM servicing_instalment i WHERE i.loan_id = l.id AND i.due_date = DATE '{d}' AND NOT i.fell_due"
        )
        figures["overdue transition"] = time.perf_counter() - start
    conn.rollback()
    return figures


def run_close() -> tuple[float, float, str]:
    started = time.perf_counter()
    child = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "close_business_day",
            "--date",
            DAY.isoformat(),
            "--no-notice-job",
            "-v",
            "2",
        ],
        cwd=ROOT,
        env=env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert child.stdout is not None
    output = child.stdout.read().decode()
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"close_business_day failed:\n{output}")
    return elapsed, usage.ru_maxrss / 1024, output.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument(
        "--template",
        action="store_true",
        help="keep the generated portfolio as a template database and reuse it next time (tuning)",
    )
    args = parser.parse_args()
    template = f"{DB}_tpl_{args.loans}"
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        have_template = bool(
            args.template
            and admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template]).fetchone()
        )
        admin.execute(f"CREATE DATABASE {DB}" + (f" TEMPLATE {template}" if have_template else ""))
    try:
        t = time.perf_counter()
        if not have_template:
            subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env(), check=True)
            out = subprocess.run(
                [sys.executable, "-c", SETUP_PRODUCT],
                cwd=ROOT,
                env=env(),
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()
            with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={DB}") as conn:
                generate(conn, args.loans, int(out[-2]), int(out[-1]))
                conn.autocommit = True
                conn.execute("VACUUM ANALYZE")
            if args.template:
                with psycopg.connect(ADMIN, autocommit=True) as admin:
                    admin.execute(f"CREATE DATABASE {template} TEMPLATE {DB}")
        with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={DB}") as conn:
            product_id = conn.execute("SELECT product_id FROM servicing_loan LIMIT 1").fetchone()[0]
            print(hardware(conn))
            counts = conn.execute(
                "SELECT COUNT(*), SUM(CASE WHEN overdue_since IS NOT NULL THEN 1 ELSE 0 END),"
                f" SUM(CASE WHEN cur_due = DATE '{DAY}' THEN 1 ELSE 0 END) FROM servicing_loan"
            ).fetchone()
            instalments = conn.execute("SELECT COUNT(*) FROM servicing_instalment").fetchone()[0]
            conn.rollback()
            print(
                f"portfolio: {counts[0]:,} active loans, {instalments:,} instalments, {counts[1]:,} overdue,"
                f" {counts[2]:,} falling due on {DAY}; set-up {time.perf_counter() - t:.0f} s"
            )
            parts = floor(conn, product_id)
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")
            conn.autocommit = False
        floor_total = sum(parts.values())
        for name, seconds in parts.items():
            print(f"floor: {name}: {seconds:.2f} s")
        print(f"floor total: {floor_total:.2f} s")
        elapsed, rss_mib, output = run_close()
        print(output)
        match = re.search(r"through \S+ in ([0-9.]+) s", output)
        close = float(match.group(1)) if match else elapsed
        print(
            f"close of business: {close:.2f} s for {args.loans:,} loans ({args.loans / close:,.0f} loans/s)"
        )
        print(f"  (the process running it, Django start-up included: {elapsed:.2f} s)")
        print(f"ratio close / floor: {close / floor_total:.2f} (process: {elapsed / floor_total:.2f})")
        print(f"peak RSS of the close (process running it): {rss_mib:.0f} MiB")
        with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={DB}") as conn:
            kinds = conn.execute(
                "SELECT kind, COUNT(*), SUM(amount) FROM servicing_transfer GROUP BY kind ORDER BY kind"
            ).fetchall()
            print("transfers posted:", ", ".join(f"{k} {n:,} ({s:,} tiyn)" for k, n, s in kinds))
    finally:
        if not args.keep:
            with psycopg.connect(ADMIN, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
