"""Fetching a loan with 1,000 ledger transactions and its balances through the API (issue 10:
median ≤ 20 ms). Prints the hardware, then median / p95 of: the loan detail (debt split from the
cached balances, schedule in force, latest payments, disbursement, how to repay), the first page of
transactions, an older page (keyset cursor) and the first page of payments – each a full request
through the middleware, bearer authentication and the ninja router (Django's test client, in-process).

Run (a throw-away PostgreSQL database; it migrates it and adds one bench client):
    createdb -h 127.0.0.1 -U postgres qaryz_bench_servicing
    QARYZ_DATA_DIR=/tmp/qb QARYZ_KEY_DIR=/tmp/qbk \
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qaryz_bench_servicing \
    .venv/bin/python bench/servicing_loan_fetch.py [--transactions 1000] [--n 300]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qaryz.settings")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402


def hardware() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    memory = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
            memory = f", {kb / 1024 / 1024:.1f} GiB RAM"
    except (OSError, StopIteration):
        pass
    load = os.getloadavg()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            db = f"PostgreSQL {cursor.fetchone()[0]}"
        else:
            db = connection.vendor
    return (
        f"{model or platform.processor()} × {os.cpu_count()} CPUs{memory}; {db}; Python {platform.python_version()};"
        f" load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (machine shared with other engineers)"
    )


def make_loan(transactions: int, payments: int):
    """A real loan (signed through lending, paid out by ``activate``) with ``transactions``
    transfers posted through ``ledger.post`` and ``payments`` payment rows."""
    from qaryz.compliance import demo as compliance_demo
    from qaryz.lending.tests.factories import product, rule_sets
    from qaryz.servicing import ledger
    from qaryz.servicing.ledger import Leg
    from qaryz.servicing.models import AccountKind, Loan, Payment, Transfer
    from qaryz.servicing.tests.factories import active_loan

    existing = Loan.objects.filter(payments__payer_reference__startswith="bench-").first()
    if existing is not None and Transfer.objects.filter(loan=existing).count() >= transactions:
        return existing  # a second run reuses the bench loan
    rule_sets()
    compliance_demo.load_demo(io.StringIO())
    loan = active_loan(product(), timezone.localdate() - dt.timedelta(days=200))
    with transaction.atomic():
        locked = Loan.objects.select_for_update().get(pk=loan.pk)
        rows = []
        # Daily accruals and their income (what the close of business writes): 1 tiyn each, so
        # the cached balance stays equal to the ledger.
        have = Transfer.objects.filter(loan=loan).count()
        for n in range(transactions - have):
            rows.append(
                {
                    "legs": [Leg(AccountKind.INTEREST_ACCRUED, AccountKind.INTEREST_INCOME, 1)],
                    "key": f"bench-accrual:{loan.pk}:{n}",
                    "kind": "accrual",
                    "value_date": loan.disbursed_on + dt.timedelta(days=n % 200),
                }
            )
        for row in rows:
            ledger.post(locked, row["legs"], key=row["key"], kind=row["kind"], value_date=row["value_date"])
        locked.save()
        Payment.objects.bulk_create(
            Payment(
                loan=locked,
                channel="bank",
                payer_reference=f"bench-{loan.pk}-{n}",
                amount=10_000_00,
                value_date=loan.disbursed_on + dt.timedelta(days=n),
                received_at=timezone.now() - dt.timedelta(days=payments - n),
                allocation={"interest_accrued": 1_000_00, "principal_current": 9_000_00},
            )
            for n in range(payments)
        )
    return loan


def timed(call, n: int) -> tuple[list[float], list[float]]:
    for _ in range(10):
        call()  # warm: connection, caches
    wall, cpu = [], []
    for _ in range(n):
        start, start_cpu = time.perf_counter(), time.process_time()
        response = call()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        assert response.status_code == 200, response.content[:200]
    return wall, cpu


def report(name: str, samples: tuple[list[float], list[float]]) -> float:
    wall, cpu = sorted(samples[0]), samples[1]
    p95 = wall[max(int(len(wall) * 0.95) - 1, 0)]
    median = statistics.median(wall)
    print(
        f"{name:46s} n={len(wall):4d}  median {median:6.2f} ms  p95 {p95:6.2f} ms"
        f"  (Python CPU median {statistics.median(cpu):5.2f} ms)"
    )
    return median


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--transactions", type=int, default=1000)
    parser.add_argument("--payments", type=int, default=200)
    parser.add_argument("--n", type=int, default=300)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    setup_test_environment()
    from django.test import Client as TestClient

    from qaryz.access.services import issue_api_token
    from qaryz.servicing.models import Transfer

    print("hardware:", hardware())
    started = time.perf_counter()
    loan = make_loan(args.transactions, args.payments)
    count = Transfer.objects.filter(loan=loan).count()
    print(
        f"loan {loan.number}: {count} transfers, {args.payments} payments (built in {time.perf_counter() - started:.1f} s)"
    )
    token, _session = issue_api_token(loan.client)
    http = TestClient(HTTP_AUTHORIZATION=f"Bearer {token}")
    base = f"/api/v1/servicing/loans/{loan.pk}"
    first = http.get(f"{base}/transactions?limit=50").json()
    cases = {
        "floor: GET /access/me (bearer auth only)": "/api/v1/access/me",
        "GET loan detail (balances, schedule, payments)": f"{base}",
        "GET transactions, first page of 50": f"{base}/transactions?limit=50",
        "GET transactions, an older page (cursor)": f"{base}/transactions?limit=50&before={first['next_before']}",
        "GET payments, first page of 20": f"{base}/payments?limit=20",
    }
    medians = {}
    for name, url in cases.items():
        medians[name] = report(name, timed(lambda url=url: http.get(url), args.n))
    detail = medians["GET loan detail (balances, schedule, payments)"]
    floor = medians["floor: GET /access/me (bearer auth only)"]
    print(
        f"target: loan detail median ≤ 20 ms – {'met' if detail <= 20 else 'NOT met'} ({detail:.2f} ms;"
        f" {detail / floor:.2f}× the authenticated floor of {floor:.2f} ms)"
    )


if __name__ == "__main__":
    main()
