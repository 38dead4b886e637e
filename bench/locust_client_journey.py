"""Load test of the client journey (issue 15 item 5; not part of CI). Figures: docs/performance.md.

    # once: a PostgreSQL database with 20 clients, each with an active loan
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/qaryz_load QARYZ_DEMO=1 \\
      QARYZ_DATA_DIR=var/load/data QARYZ_KEY_DIR=var/load/keys .venv/bin/python bench/load_setup.py --clients 20
    # the web tier, as in production (deploy/gunicorn.conf.py), on loopback
    DATABASE_URL=... QARYZ_DEMO=1 QARYZ_DATA_DIR=var/load/data QARYZ_KEY_DIR=var/load/keys \\
      QARYZ_BIND=127.0.0.1:8765 QARYZ_WEB_WORKERS=2 .venv/bin/gunicorn -c deploy/gunicorn.conf.py qaryz.wsgi
    # the load: 20 users for 45 s
    QARYZ_LOAD_CLIENTS=var/load/clients.json QARYZ_SMS_OUTBOX=var/load/data/sms-outbox.log \\
      .venv/bin/locust -f bench/locust_client_journey.py --headless -u 20 -r 5 -t 45s \\
      --host http://127.0.0.1:8765 --csv var/load/run --only-summary

Each simulated user signs in once (password, then the SMS code read from the embedded gateway's
outbox file) and then goes round the journey: cabinet home, my loans, the loan page, a schedule
preview (API), the application form and a new application, and a card repayment of 1,000 KZT
through the embedded acquirer's page. Every step is named, so locust reports each one.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import re
import threading
import time
from pathlib import Path

from locust import HttpUser, between, task

CLIENTS = json.loads(Path(os.environ.get("QARYZ_LOAD_CLIENTS", "var/load/clients.json")).read_text())
OUTBOX = Path(os.environ.get("QARYZ_SMS_OUTBOX", "var/load/data/sms-outbox.log"))
CARD = "4111111111111111"  # passes the Luhn check of the embedded acquirer
_next_client = itertools.count()
_lock = threading.Lock()


def sms_code(phone: str, after: float, timeout: float = 10.0) -> str:
    """The newest sign-in code sent to ``phone`` since ``after`` (the embedded gateway's file)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for line in reversed(OUTBOX.read_text(encoding="utf-8").splitlines()):
            parts = line.split("\t")
            if len(parts) < 4 or dt.datetime.fromisoformat(parts[0]).timestamp() < int(after) - 1:
                continue
            if parts[1] == phone and parts[2] == "otp:login":
                code = re.search(r"\b(\d{6})\b", parts[3])
                if code:
                    return code.group(1)
        time.sleep(0.2)
    raise RuntimeError(f"no sign-in code for {phone}")


class Client(HttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        with _lock:
            self.account = CLIENTS[next(_next_client) % len(CLIENTS)]
        self.loan = self.account["loan_id"]
        self.client.get("/login/", name="login: page")
        sent = time.time()
        self.client.post(
            "/login/",
            {
                "phone": self.account["phone"],
                "password": self.account["password"],
                "csrfmiddlewaretoken": self.csrf(),
            },
            name="login: password",
        )
        code = sms_code(self.account["phone"], sent)
        with self.client.post(
            "/login/code/",
            {"code": code, "csrfmiddlewaretoken": self.csrf()},
            name="login: code",
            catch_response=True,
        ) as response:
            if "/cabinet/" not in response.url:
                response.failure(f"sign-in did not reach the cabinet: {response.url}")
                # a user that is not signed in would only measure redirects to the login page
                self.stop()

    def csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")

    @task
    def journey(self) -> None:
        self.client.get("/cabinet/", name="cabinet: home")
        self.client.get("/servicing/loans/", name="cabinet: my loans")
        self.client.get(f"/servicing/loans/{self.loan}/", name="cabinet: loan page")
        self.client.post(
            "/api/v1/schedules/preview",
            json={
                "amount": str(random.choice([150000, 300000, 500000])),
                "term_months": 12,
                "annual_rate_percent": "44",
            },
            name="schedule preview (API)",
        )
        page = self.client.get("/lending/apply/", name="application: form").text
        product = re.search(r'name="product" value="([^"]+)"', page)
        if product:
            with self.client.post(
                "/lending/apply/create/",
                {
                    "product": product.group(1),
                    "amount": "200000",
                    "term_months": "6",
                    "method": "annuity",
                    "csrfmiddlewaretoken": self.csrf(),
                },
                name="application: create",
                catch_response=True,
            ) as response:
                if "/lending/applications/" not in response.url:
                    response.failure(f"no application created: {response.url}")
        with self.client.post(
            f"/servicing/loans/{self.loan}/pay/",
            {"amount": "1000", "csrfmiddlewaretoken": self.csrf()},
            name="repayment: start",
            catch_response=True,
        ) as response:
            order_url = response.url if "/demo-acquirer/" in response.url else ""
            if not order_url:
                response.failure(f"no acquirer page: {response.url}")
                return
        with self.client.post(
            order_url,
            {"card": CARD, "csrfmiddlewaretoken": self.csrf()},
            name="repayment: pay",
            catch_response=True,
        ) as response:
            if "/demo-acquirer/" in response.url:
                response.failure("payment not accepted")
