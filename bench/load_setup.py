"""Prepare a PostgreSQL database for the load test (bench/locust_client_journey.py).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qaryz_load QARYZ_DEMO=1 \\
      .venv/bin/python bench/load_setup.py --clients 20 --out var/load/clients.json

Migrates, loads the demo data (products, rule sets, MFO profile) and creates ``--clients``
individual entrepreneurs, each with a business loan signed and paid out 20 days ago through the
real path (the servicing demo's helpers), so that every simulated user has its own cabinet, loan
and repayment. Writes their phones and password to ``--out``. Idempotent.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qaryz.settings")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--out", default=str(ROOT / "var" / "load" / "clients.json"))
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("set DATABASE_URL to a PostgreSQL database of your own", file=sys.stderr)
        return 2

    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from qaryz.clients.demo import DEMO_PASSWORD
    from qaryz.servicing import demo
    from qaryz.servicing.models import Loan

    call_command("compile_translations", verbosity=0)
    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=io.StringIO())
    users = []
    names = ["Алихан", "Дана", "Ерлан", "Жанна", "Қайрат", "Лаура", "Мирас", "Нұргүл", "Олжас", "Сәуле"]
    for i in range(args.clients):
        spec = {
            "phone": f"+7701600{i:04d}",
            "iin_base": f"8504124{100 + i:03d}",
            "surname": "Жүктемов",
            "given_name": names[i % len(names)],
            "amount": "300000",
            "term": 12,
            "days_ago": 20,
        }
        client = demo._client(spec)
        loan = Loan.objects.filter(client=client).first()
        if loan is None:
            loan = demo._signed_loan(client, spec)
            if loan is None:
                print(f"client {spec['phone']}: loan not approved, skipped")
                continue
            loan = demo._disburse_in_the_past(
                loan, timezone.localdate() - dt.timedelta(days=spec["days_ago"])
            )
        users.append({"phone": client.phone, "password": DEMO_PASSWORD, "loan_id": loan.pk})
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(users, indent=2))
    print(f"{len(users)} load clients with active loans written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
