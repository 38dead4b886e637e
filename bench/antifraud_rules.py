# ruff: noqa: S603, S608 – a bench: SQL built from its own integers, runs manage.py
"""Antifraud rule evaluation and back-test on PostgreSQL (issue 14, performance).

    .venv/bin/python bench/antifraud_rules.py --events 200000            # fresh database
    .venv/bin/python bench/antifraud_rules.py --events 200000 --reuse    # keep the migrated one

Creates ``qaryz_bench_antifraud`` – or the ``qaryz_bench_*`` database DATABASE_URL names – (migrated
once; ``--reuse`` keeps it between runs), generates N stored events set-based over 30 days
(clients, phones, devices, IPs and IBANs drawn from pools so the velocity and sharing aggregates
find real rows), and an active rule set of 30 rules: 15 velocity rules over IIN / phone / device /
IP / IBAN, 4 sharing rules, recent phone change, applications per hour, location far / abroad,
device integrity, the same face (the biometric 1:N index), data leak, source mismatch.

1. rule evaluation: ``services.decide("application", …)`` for one event against the 30 rules –
   the enrichers (leak mark, device integrity), the face index, the one aggregate query, the
   rules and the score; nothing stored – prints p50 / p95 / p99 / max in ms (target p99 ≤ 10 ms),
   the CPU per event of this process and of its PostgreSQL backend, and the SQL statements;
   live path: ``services.evaluate`` – the same decision, then the event, its hits and the alert
   stored, audited and committed – the same figures;
2. back-test: ``backtest.run`` over the N stored events; prints the time and the linear
   extrapolation to 1,000,000 events (target ≤ 60 s) – the figure for 1M is an extrapolation
   unless ``--events 1000000`` was run.
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
# the database named by DATABASE_URL when it is a bench one (qaryz_bench_*: it is dropped and made
# again), else qaryz_bench_antifraud – so two checkouts can bench side by side
_named = os.environ.get("DATABASE_URL", "").rsplit("/", 1)[-1]
DB = _named if _named.startswith("qaryz_bench_") and _named.isidentifier() else "qaryz_bench_antifraud"
ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
URL = f"postgres://postgres@127.0.0.1:5432/{DB}"

_spec = importlib.util.spec_from_file_location(
    "servicing_close_of_day", ROOT / "bench" / "servicing_close_of_day.py"
)
cob = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cob)

KINDS = ["registration", "login", "application", "signing", "phone_change", "bank_change", "payout"]


def env() -> dict[str, str]:
    return {**cob.env(), "DATABASE_URL": URL}


def generate(conn: psycopg.Connection, events: int) -> int:
    clients = max(1000, events // 10)
    with conn.cursor() as cur:
        cur.execute("TRUNCATE antifraud_hit, antifraud_hold, antifraud_alert, antifraud_report CASCADE")
        cur.execute("DELETE FROM antifraud_event")
        cur.execute("DELETE FROM clients_client WHERE surname = 'Bench'")
        cur.execute(
            f"""
            INSERT INTO clients_client (kind, status, iin, bin, surname, given_name, patronymic, legal_name,
                phone, preferred_language, id_doc_type, id_doc_number, id_doc_expiry, face_photo_ref,
                created_at, confirmed_at, address)
            SELECT 'individual', 'confirmed', '9' || lpad(g::text, 11, '0'), NULL, 'Bench', 'Client', '', '',
                '+770' || lpad(g::text, 8, '0'), 'ru', '', '', NULL, '', now(), now(), ''
            FROM generate_series(1, {clients}) g
            """
        )
        cur.execute("SELECT min(id) FROM clients_client WHERE surname = 'Bench'")
        first = cur.fetchone()[0]
        kinds = "ARRAY[" + ",".join(f"'{k}'" for k in KINDS) + "]"
        cur.execute(
            f"""
            INSERT INTO antifraud_event (kind, occurred_at, ts, client_id, subject, iin, phone, device_id, ip,
                iban, lat, lon, country, attributes, ruleset_id, score, outcome)
            SELECT ({kinds})[1 + (g * 7919) % 7], to_timestamp(t), t, {first} + c, '',
                '9' || lpad((c + 1)::text, 11, '0'), '+770' || lpad((c + 1)::text, 8, '0'),
                'dev-' || ((c * 13 + g % 3) % {clients}), '10.' || (c % 200) || '.' || (g % 7) || '.1',
                CASE WHEN g % 4 = 0 THEN 'KZ' || lpad(((c * 7) % {clients})::text, 18, '0') ELSE '' END,
                CASE WHEN g % 3 = 0 THEN 43.2 + (c % 50) / 10.0 END, CASE WHEN g % 3 = 0 THEN 76.9 - (c % 40) / 10.0 END,
                CASE WHEN g % 3 = 0 THEN (CASE WHEN g % 97 = 0 THEN 'TR' ELSE 'KZ' END) ELSE '' END,
                CASE WHEN g % 501 = 0 THEN '{{"rooted": true}}'::jsonb
                     WHEN g % 733 = 0 THEN '{{"data_leak_flagged": true}}'::jsonb ELSE '{{}}'::jsonb END,
                NULL, 0, 'approve'
            FROM (SELECT g, (g * 104729) % {clients} AS c,
                         extract(epoch FROM now())::bigint - 30 * 86400 + (g * 2654435761) % (30 * 86400) AS t
                  FROM generate_series(1::bigint, {events}) g) s
            """
        )
    conn.commit()
    return clients


RULES = [
    *[
        ("velocity_" + dim, {"threshold": n, "window_minutes": w})
        for dim in ("iin", "phone", "device")
        for w, n in ((10, 3), (60, 5), (1440, 20))
    ],
    ("velocity_ip", {"threshold": 5, "window_minutes": 10}),
    ("velocity_ip", {"threshold": 20, "window_minutes": 60}),
    ("velocity_ip", {"threshold": 100, "window_minutes": 1440}),
    ("velocity_iban", {"threshold": 3, "window_minutes": 60}),
    ("velocity_iban", {"threshold": 2, "window_minutes": 10}),
    ("velocity_iban", {"threshold": 5, "window_minutes": 1440}),
    ("shared_iban", {"min_clients": 2}),
    ("shared_iban", {"min_clients": 5}),
    ("shared_device", {"min_clients": 3}),
    ("shared_device", {"min_clients": 10}),
    ("phone_changed_recently", {"window_minutes": 60}),
    ("phone_changed_recently", {"window_minutes": 1440}),
    ("applications_per_hour", {"threshold": 2}),
    ("applications_per_hour", {"threshold": 3}),
    ("location_far", {"distance_km": 500}),
    ("location_far", {"distance_km": 2000}),
    ("location_abroad", {}),
    ("device_integrity", {}),
    ("same_face", {"min_clients": 2}),
    ("data_leak", {}),
    ("source_mismatch", {}),
]

CHILD = """
import os, statistics, sys, time, datetime as dt
import django; django.setup()
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone
from qaryz.antifraud import backtest, services
from qaryz.antifraud.models import RuleSet
from qaryz.clients.models import Client
import json
rules = json.loads(sys.argv[1]); runs = int(sys.argv[2])
User = get_user_model()
maker, _ = User.objects.get_or_create(username="bench-maker", defaults={"is_staff": True})
checker, _ = User.objects.get_or_create(username="bench-checker", defaults={"is_staff": True})
RuleSet.objects.filter(status="active").update(status="retired", retired_at=timezone.now())
draft = services.new_draft(maker)
for i, (kind, params) in enumerate(rules):
    outcome = "decline" if kind == "source_mismatch" else "review"
    services.add_rule(draft, maker, code=f"r{i:02d}-{kind}"[:40], kind=kind, outcome=outcome, weight=10, params=params)
services.submit(draft, maker)
version = services.approve(draft, checker)
print("RULES", version.rules.count())
start = timezone.now() - dt.timedelta(days=31)
end = timezone.now() + dt.timedelta(minutes=1)
t = time.perf_counter()
report = backtest.run(version, start, end)
print("BACKTEST", f"{time.perf_counter() - t:.3f}", report.events, sum(r.hits for r in report.rules))
for r in report.rules:
    print("RULE", r.code, r.hits)
clients = list(Client.objects.filter(surname="Bench").order_by("id")[:runs])
times = []
outcomes = {}
services.evaluate("login", attributes={})  # warm-up: the first connection
from qaryz.biometrics import selectors  # noqa: F401 – warm-up: the face index's imports (numpy)
# every statement sent, through Django's cursor or a bare psycopg one (the prepared aggregate
# query, the audit append); BEGIN / COMMIT are not statements of a cursor and not counted
import psycopg
statements = [0]
_execute = psycopg.Cursor.execute
def counting(self, *args, **kwargs):
    statements[0] += 1
    return _execute(self, *args, **kwargs)
psycopg.Cursor.execute = counting
def server_cpu():  # CPU seconds of this connection's PostgreSQL backend (same machine)
    try:
        with open(f"/proc/{connection.connection.info.backend_pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")
def attrs_of(i):
    return {"ip": f"10.{i % 200}.1.1", "device_id": f"dev-{i}", "iban": "KZ" + str(i).rjust(18, "0"),
            "lat": 43.2, "lon": 76.9, "country": "KZ"}
def figures(name, values, cpu, server, count):
    values.sort()
    q = lambda p: values[min(len(values) - 1, int(p * len(values)))]
    n = len(values)
    print(name, n, f"{q(0.5):.2f}", f"{q(0.95):.2f}", f"{q(0.99):.2f}", f"{values[-1]:.2f}",
          f"{cpu * 1000 / n:.2f}", f"{server * 1000 / n:.2f}", f"{count / n:.1f}")
def timed(name, call):
    times = []
    statements[0] = 0
    cpu, server = time.process_time(), server_cpu()
    for i, client in enumerate(clients):
        t = time.perf_counter()
        call(client, attrs_of(i))
        times.append((time.perf_counter() - t) * 1000)
    figures(name, times, time.process_time() - cpu, server_cpu() - server, statements[0])
def live(client, attrs):
    outcome = services.evaluate("application", client=client, attributes=attrs).outcome
    outcomes[outcome] = outcomes.get(outcome, 0) + 1
timed("LIVE", live)
print("OUTCOMES", " ".join(f"{k}={v}" for k, v in sorted(outcomes.items())))
# the rule evaluation alone – the same code the live path runs first (services.decide: enrichers,
# face index, the aggregate query, the rules, the score), nothing stored – same events again
timed("DECIDE", lambda client, attrs: services.decide("application", client=client, attributes=attrs))
# the floor on this machine now: one bare round trip to PostgreSQL
trips = []
cpu, server = time.process_time(), server_cpu()
with connection.cursor() as cursor:
    for _ in range(len(clients)):
        t = time.perf_counter()
        cursor.execute("SELECT 1")
        cursor.fetchone()
        trips.append((time.perf_counter() - t) * 1000)
figures("TRIP", trips, time.process_time() - cpu, server_cpu() - server, len(trips))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=1000, help="live evaluations to time")
    parser.add_argument("--reuse", action="store_true", help="keep / reuse the migrated database")
    args = parser.parse_args()
    import json

    with psycopg.connect(ADMIN, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB]).fetchone()
        if not (args.reuse and exists):
            admin.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {DB}")
    t = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env(), check=True)
    migrated = time.perf_counter() - t
    with psycopg.connect(f"host=127.0.0.1 port=5432 user=postgres dbname={DB}") as conn:
        t = time.perf_counter()
        clients = generate(conn, args.events)
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE antifraud_event")
        conn.execute("VACUUM ANALYZE clients_client")
        print(cob.hardware(conn))
        print(
            f"set-up: migrate {migrated:.0f} s; {args.events:,} events over 30 days for {clients:,} clients"
            f" generated in {time.perf_counter() - t:.1f} s"
        )
    t = time.perf_counter()
    child = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(RULES), str(args.runs)],
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
    )
    if child.returncode != 0:
        raise SystemExit(f"bench child failed:\n{child.stdout}\n{child.stderr}")
    lines = [line.split() for line in child.stdout.splitlines() if line.strip()]
    fig = {
        parts[0]: parts[1:]
        for parts in lines
        if parts[0] in ("RULES", "BACKTEST", "LIVE", "DECIDE", "OUTCOMES", "TRIP")
    }
    n, p50, p95, p99, worst, cpu, server, sql = fig["DECIDE"]
    print(f"rule evaluation: {n} 'application' events against {fig['RULES'][0]} active rules")
    print(
        f"  services.decide (enrichers, face index, aggregate query, rules, score; nothing stored): p50 {p50} ms,"
    )
    print(f"  p95 {p95} ms, p99 {p99} ms, max {worst} ms (target p99 <= 10 ms)")
    print(f"  per event: CPU {cpu} ms here + {server} ms PostgreSQL backend, {sql} SQL statements")
    n, p50, p95, p99, worst, cpu, server, sql = fig["LIVE"]
    print("live path: services.evaluate = decide + store the event, its hits and the alert, audit, commit")
    print(
        f"  p50 {p50} ms, p95 {p95} ms, p99 {p99} ms, max {worst} ms; decisions: {' '.join(fig['OUTCOMES'])}"
    )
    print(
        f"  per event: CPU {cpu} ms here + {server} ms PostgreSQL backend, {sql} SQL statements"
        " (+ BEGIN / COMMIT)"
    )
    n, p50, p95, p99, worst, cpu, server, sql = fig["TRIP"]
    print(
        f"  for scale, a bare 'SELECT 1' round trip now: p50 {p50} ms, p99 {p99} ms, CPU {cpu} + {server} ms"
    )
    seconds, events, hits = float(fig["BACKTEST"][0]), int(fig["BACKTEST"][1]), int(fig["BACKTEST"][2])
    per_million = seconds * 1_000_000 / max(events, 1)
    print(f"back-test: {events:,} stored events, 30 rules, {hits:,} hits in {seconds:.2f} s")
    label = "measured" if events >= 1_000_000 else "linear extrapolation"
    print(f"  1,000,000 events: {per_million:.1f} s ({label}; target <= 60 s)")
    print(f"total bench child {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
