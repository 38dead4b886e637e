# ruff: noqa: S603, S607 – a bench: runs its own poster processes and psql on loopback
"""Posting repayments on PostgreSQL with concurrent posters, against a bare two-row insert floor.

    .venv/bin/python bench/servicing_repayments.py                 # 8 posters, 1,500 payments each
    .venv/bin/python bench/servicing_repayments.py --posters 8 --payments 500 --loans 100

A throw-away database ``qaryz_repay_bench`` on 127.0.0.1:5432 (dropped at the end) gets one loan
signed and paid out through the real path, its first instalment overdue (the test stand-in of the
close of business), then ``posters × loans`` copies of it (rows cloned in bulk, balances and
transfers included). Each poster is its own process with its own connection and its own loans;
each payment is a full ``repayments.post_payment``: dedup lookup, loan row lock, allocation to the
overdue principal, ledger transfers and cached balances, instalment paid columns, delay state,
the receipt (JSON stored in the vault + signed records receipt), the audit events, commit, and
the job that delivers the client's "payment received" notice queued on the local RabbitMQ (as in
production: a worker renders and stores the notices; no worker runs during the bench).

Then the same with ``repayments.post_payments``: each call posts ``--batch`` payments of the
poster's loans in one transaction (a bank statement, a batch of acquirer webhooks), every payment
still getting its own allocation, transfers, instalment update, vault receipt and audit event.

The floor: the same processes each running ``BEGIN; INSERT; INSERT; COMMIT`` of two small rows.
One payment per transaction cannot beat that floor (a commit each); the target of 2,000/s is met
by posting in batches. Prints the hardware, the load average, payments/s, floor/s and the ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_DB = "qaryz_repay_bench"
PG_ADMIN = ["-h", "127.0.0.1", "-U", "postgres"]
NOTICE_QUEUE = "qaryz-repay-bench-notices"


def _django() -> None:
    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qaryz.settings")
    django.setup()


def setup(posters: int, loans: int) -> None:
    import datetime as dt
    import io

    _django()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    from qaryz.compliance import demo as compliance_demo
    from qaryz.lending.tests.factories import product, rule_sets
    from qaryz.servicing.models import Instalment, Loan, Transfer
    from qaryz.servicing.tests.cob_stub import close_through
    from qaryz.servicing.tests.factories import active_loan

    rule_sets()
    compliance_demo.load_demo(io.StringIO())
    start = dt.date(2026, 12, 10)
    template = close_through(active_loan(product(), start), dt.date(2027, 1, 13))
    app, contract = template.application, template.contract
    rows = list(Instalment.objects.filter(loan=template))
    transfers = list(Transfer.objects.filter(loan=template))
    keys = [t.key for t in transfers]
    ids = []
    with transaction.atomic():
        for i in range(posters * loans):
            app.pk, app.idempotency_key = None, None
            app.save(force_insert=True)
            contract.pk, contract.application, contract.number = None, app, f"B{i:07d}"
            contract.save(force_insert=True)
            loan = Loan.objects.get(pk=template.pk)
            loan.pk, loan.application, loan.contract = None, app, contract
            loan.number, loan.payment_reference = f"B{i:07d}", f"9{i:010d}"
            loan.save(force_insert=True)
            for row in rows:
                row.pk, row.loan = None, loan
            Instalment.objects.bulk_create(rows)
            for t, key in zip(transfers, keys, strict=True):
                t.pk, t.loan, t.key = None, loan, f"{key}#{i}"
            Transfer.objects.bulk_create(transfers)
            ids.append(loan.pk)
    Path(os.environ["BENCH_IDS"]).write_text(json.dumps(ids))


def poster(index: int, posters: int, payments: int, mode: str) -> None:
    import datetime as dt

    _django()
    from django.db import connection, transaction

    ids = json.loads(Path(os.environ["BENCH_IDS"]).read_text())
    mine = ids[index::posters]
    if mode == "floor":
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")

        def one(n: int) -> None:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO bench_pair (loan_id, amount, ref) VALUES (%s, %s, %s)", [mine[0], n, "a"]
                )
                cursor.execute(
                    "INSERT INTO bench_pair (loan_id, amount, ref) VALUES (%s, %s, %s)", [mine[0], n, "b"]
                )
    else:
        from qaryz.servicing import repayments
        from qaryz.servicing.models import Loan

        loans = {pk: Loan.objects.get(pk=pk) for pk in mine}
        repayments.post_payment(
            loans[mine[0]],
            channel="bank",
            payer_reference=f"warm-{index}",
            amount_tiyn=1000,
            value_date=dt.date(2027, 1, 14),
        )

        batch = int(os.environ.get("BENCH_BATCH", "1"))
        if mode == "post":

            def one(n: int) -> None:
                repayments.post_payment(
                    loans[mine[n % len(mine)]],
                    channel="bank",
                    payer_reference=f"p{index}-{n}",
                    amount_tiyn=1000,
                    value_date=dt.date(2027, 1, 14),
                )

        else:  # "batch": one post_payments call (one transaction) per ``batch`` payments

            def one(n: int) -> None:
                if n % batch:
                    return
                items = [
                    repayments.Incoming(
                        mine[m % len(mine)], "bank", f"b{index}-{m}", 1000, dt.date(2027, 1, 14)
                    )
                    for m in range(n, min(n + batch, payments))
                ]
                results = repayments.post_payments(items, actor="api:bench")
                if any(r.error for r in results):
                    raise SystemExit(f"refused: {results[0].error}")

    # A barrier: every poster is set up and warm before any starts (Django's start-up on 2 cores
    # takes longer than any fixed delay under load).
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    go = Path(os.environ["BENCH_IDS"]).with_name(f"go-{mode}")
    Path(os.environ["BENCH_IDS"]).with_name(f"ready-{mode}-{index}").touch()
    while not go.exists():
        time.sleep(0.002)
    began, cpu, pg_cpu = time.time(), time.process_time(), _cpu_seconds(backend)
    for n in range(payments):
        one(n)
    ended = time.time()
    cpu, pg_cpu = time.process_time() - cpu, _cpu_seconds(backend) - pg_cpu
    print(
        json.dumps({"began": began, "ended": ended, "n": payments, "cpu": cpu, "pg_cpu": pg_cpu}), flush=True
    )


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process on this machine (the poster's PostgreSQL backend)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_posters(posters: int, payments: int, mode: str, env: dict) -> tuple[float, str]:
    """Payments (or floor transactions) per second over the posters' common span, and the CPU
    each one cost in the posters and in their PostgreSQL backends (a shared machine's rate varies;
    the CPU per payment much less)."""
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--role",
                "poster",
                "--index",
                str(i),
                "--posters",
                str(posters),
                "--payments",
                str(payments),
                "--mode",
                mode,
            ],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for i in range(posters)
    ]
    work = Path(env["BENCH_IDS"]).parent
    while len(list(work.glob(f"ready-{mode}-*"))) < posters:
        if any(p.poll() is not None for p in procs):
            break
        time.sleep(0.05)
    (work / f"go-{mode}").touch()
    results = []
    for p in procs:
        out, _ = p.communicate()
        if p.returncode:
            raise SystemExit(f"poster failed ({mode})")
        results.append(json.loads(out.strip().splitlines()[-1]))
    span = max(r["ended"] for r in results) - min(r["began"] for r in results)
    n = sum(r["n"] for r in results)
    cpu = 1000 * sum(r["cpu"] for r in results) / n
    pg_cpu = 1000 * sum(r["pg_cpu"] for r in results) / n
    return n / span, f"CPU {cpu:.2f} ms Python + {pg_cpu:.2f} ms PostgreSQL each"


def hardware() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem = next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal"))
        mem_gb = int(mem.split()[1]) / 1024 / 1024
    except (OSError, StopIteration):
        mem_gb = 0
    pg = subprocess.run(
        ["psql", *PG_ADMIN, "-tAc", "SHOW server_version", "postgres"], capture_output=True, text=True
    )
    return (
        f"{model or platform.processor()} × {os.cpu_count()} CPUs, {mem_gb:.1f} GiB RAM, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}, "
        f"PostgreSQL {pg.stdout.strip()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", default="main")
    parser.add_argument("--index", type=int, default=0)
    parser.add_argument("--posters", type=int, default=8)
    parser.add_argument("--payments", type=int, default=1500)
    parser.add_argument("--loans", type=int, default=200)
    parser.add_argument("--mode", default="post")
    parser.add_argument("--batch", type=int, default=100, help="payments per post_payments call")
    parser.add_argument("--batch-factor", type=int, default=4, help="batched run posts this many times more")
    args = parser.parse_args()
    if args.role == "setup":
        return setup(args.posters, args.loans)
    if args.role == "poster":
        return poster(args.index, args.posters, args.payments, args.mode)

    import tempfile

    work = Path(tempfile.mkdtemp(prefix="qaryz-repay-bench-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{PG_DB}",
        "QARYZ_DATA_DIR": str(work / "data"),
        "QARYZ_KEY_DIR": str(work / "keys"),
        "BENCH_IDS": str(work / "ids.json"),
        "QARYZ_LOG_LEVEL": "WARNING",
        # Production wiring: the "payment received" notices go to the workers as jobs after each
        # posting commits (messaging.tasks) – on a queue of the bench's own, counted and deleted.
        "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER", "amqp://guest:guest@127.0.0.1:5672//"),
        "QARYZ_NOTICE_QUEUE": NOTICE_QUEUE,
    }
    subprocess.run(["dropdb", *PG_ADMIN, "--if-exists", PG_DB], check=True)
    subprocess.run(["createdb", *PG_ADMIN, PG_DB], check=True)
    try:
        print(f"hardware: {hardware()}", flush=True)
        t0 = time.time()
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--role",
                "setup",
                "--posters",
                str(args.posters),
                "--loans",
                str(args.loans),
            ],
            env=env,
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        print(f"setup: {args.posters * args.loans} overdue loans in {time.time() - t0:.0f} s", flush=True)
        subprocess.run(
            [
                "psql",
                *PG_ADMIN,
                "-qc",
                "CREATE TABLE bench_pair (id bigserial PRIMARY KEY, loan_id bigint, amount bigint, ref text)",
                PG_DB,
            ],
            check=True,
        )
        floor, cost = run_posters(args.posters, args.payments, "floor", env)
        a1, a5, _ = os.getloadavg()
        print(
            f"floor (BEGIN; 2 × INSERT; COMMIT), {args.posters} processes: {floor:8,.0f}/s   {cost}   "
            f"load {a1:.2f}/{a5:.2f}"
        )
        rate, cost = run_posters(args.posters, args.payments, "post", env)
        a1, a5, _ = os.getloadavg()
        print(
            f"post_payment (one per transaction), {args.posters} posters × {args.payments}: {rate:8,.0f}/s   "
            f"ratio to floor {floor / rate:.1f}×   {cost}   load {a1:.2f}/{a5:.2f}"
        )
        env["BENCH_BATCH"] = str(args.batch)
        batched, cost = run_posters(args.posters, args.payments * args.batch_factor, "batch", env)
        a1, a5, _ = os.getloadavg()
        print(
            f"post_payments ({args.batch} per transaction), {args.posters} posters × "
            f"{args.payments * args.batch_factor}: {batched:8,.0f}/s   floor/this {floor / batched:.2f}×   "
            f"target ≥ 2,000/s   {cost}   load {a1:.2f}/{a5:.2f}"
        )
        print(f"notice jobs queued for the workers (not run here): {notice_jobs(env['CELERY_BROKER_URL'])}")
    finally:
        subprocess.run(["dropdb", *PG_ADMIN, "--if-exists", PG_DB], check=False)


def notice_jobs(broker: str) -> int:
    """How many notice jobs the posters queued (one per posted batch); the queue is then deleted."""
    from kombu import Connection

    with Connection(broker) as conn:
        channel = conn.channel()
        _name, count, _consumers = channel.queue_declare(NOTICE_QUEUE, passive=True)
        channel.queue_delete(NOTICE_QUEUE)
        return count


if __name__ == "__main__":
    main()
