"""The HTTP adapters of incoming money (card acquirer, bank statement) against fakes speaking the
documented JSON contract (``adapters/incoming_http.py``): what they accept, what they refuse, and a
statement fetched twice over HTTP posting each payment once."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from qaryz.servicing import payments_ports
from qaryz.servicing.adapters.incoming_http import HttpAcquirer, HttpIncomingBank
from qaryz.servicing.models import Payment, SuspenseItem
from qaryz.servicing.payments_ports import AcquirerError, StatementError
from qaryz.servicing.tests.factories import active_loan

pytestmark = [pytest.mark.req("R-CAB-6")]
START = dt.date(2026, 12, 10)
TOKEN = "incoming-test-token"
KEY = "acquirer-webhook-key"


class FakeAcquirer:
    def __init__(self) -> None:
        self.orders: dict[str, dict] = {}
        self.mode = "normal"  # normal | error | garbage | wrong-amount

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return httpx.Response(401, json={"error": "unauthorised"})
        if self.mode == "error":
            return httpx.Response(503, json={"error": "maintenance"})
        if self.mode == "garbage":
            return httpx.Response(200, text="<html>")
        body = json.loads(request.content)
        order_id = f"ord_{len(self.orders) + 1}"
        self.orders[order_id] = body
        amount = body["amount"] + (1 if self.mode == "wrong-amount" else 0)
        return httpx.Response(
            201,
            json={"order_id": order_id, "payment_url": f"https://pay.example/{order_id}", "amount": amount},
        )


class FakeStatementBank:
    """Pages of two lines, addressed by a cursor; lines carry their own value dates."""

    def __init__(self, lines: list[dict]) -> None:
        self.lines = lines
        self.requests: list[dict] = []
        self.mode = "normal"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return httpx.Response(401)
        if self.mode == "error":
            return httpx.Response(500)
        if self.mode == "timeout":
            raise httpx.ReadTimeout("slow bank", request=request)
        params = dict(request.url.params)
        self.requests.append(params)
        wanted = [line for line in self.lines if line["value_date"] >= params["from"]]
        start = int(params.get("cursor", "0"))
        page = wanted[start : start + 2]
        body: dict = {"lines": page}
        if start + 2 < len(wanted):
            body["next_cursor"] = str(start + 2)
        if self.mode == "garbage":
            body = {"lines": [{"bank_reference": "x", "amount": "12.50", "value_date": "2026-12-12"}]}
        return httpx.Response(200, json=body)


def _acquirer(fake: FakeAcquirer) -> HttpAcquirer:
    return HttpAcquirer("https://acq.example", TOKEN, webhook_key=KEY, transport=httpx.MockTransport(fake))


def _bank(fake: FakeStatementBank) -> HttpIncomingBank:
    return HttpIncomingBank(
        "https://bank.example", TOKEN, lookback_days=3, transport=httpx.MockTransport(fake)
    )


def test_a_charge_is_opened_and_checked():
    fake = FakeAcquirer()
    charge = _acquirer(fake).create_charge(payment_reference="12345678903", amount=2500_00, description="x")
    assert charge.payment_url == f"https://pay.example/{charge.order_id}" and charge.amount == 2500_00
    assert fake.orders[charge.order_id]["currency"] == "KZT"
    for mode in ("error", "garbage", "wrong-amount"):
        fake.mode = mode
        with pytest.raises(AcquirerError):
            _acquirer(fake).create_charge(payment_reference="12345678903", amount=100, description="")


def test_the_acquirer_needs_its_settings():
    with pytest.raises(AcquirerError):
        HttpAcquirer("", TOKEN, webhook_key=KEY)
    with pytest.raises(AcquirerError):
        HttpAcquirer("https://acq.example", TOKEN, webhook_key="")


def test_webhooks_are_accepted_only_with_the_configured_key():
    body = json.dumps(
        {
            "event": "payment.succeeded",
            "payment_id": "acq_1",
            "order_id": "ord_1",
            "payment_reference": "12345678903",
            "amount": 1500_00,
            "paid_on": "2026-12-12",
        }
    ).encode()
    good = hmac.new(KEY.encode(), body, hashlib.sha256).hexdigest()
    event = _acquirer(FakeAcquirer()).parse_webhook(body, good.upper())
    assert (event.payment_id, event.amount, event.paid_on) == ("acq_1", 1500_00, dt.date(2026, 12, 12))
    other = hmac.new(b"someone else", body, hashlib.sha256).hexdigest()
    for signature in ("", other, good[:-1]):
        with pytest.raises(AcquirerError):
            _acquirer(FakeAcquirer()).parse_webhook(body, signature)
    negative = body.replace(b"150000", b"-150000")
    with pytest.raises(AcquirerError):
        _acquirer(FakeAcquirer()).parse_webhook(
            negative, hmac.new(KEY.encode(), negative, hashlib.sha256).hexdigest()
        )


def test_the_statement_is_read_page_by_page():
    lines = [
        {"bank_reference": f"b{n}", "amount": 100_00 * n, "value_date": "2026-12-12", "purpose": f"p{n}"}
        for n in range(1, 6)
    ]
    fake = FakeStatementBank(lines)
    got = _bank(fake).statement(dt.date(2026, 12, 11))
    assert [line.bank_reference for line in got] == ["b1", "b2", "b3", "b4", "b5"]
    assert [r.get("cursor") for r in fake.requests] == [None, "2", "4"]
    assert got[4].amount == 500_00 and got[0].value_date == dt.date(2026, 12, 12)


@pytest.mark.parametrize("mode", ["error", "timeout", "garbage"])
def test_an_unreadable_statement_raises_and_gives_nothing(mode):
    fake = FakeStatementBank([{"bank_reference": "b1", "amount": 1, "value_date": "2026-12-12"}])
    fake.mode = mode
    with pytest.raises(StatementError):
        _bank(fake).statement(dt.date(2026, 12, 1))


@pytest.mark.django_db
def test_fetching_the_statement_twice_over_http_posts_each_payment_once(lending_setup, monkeypatch):
    loan = active_loan(lending_setup, START)
    lines = [
        {
            "bank_reference": "KB-0001",
            "amount": 3000_00,
            "value_date": "2026-12-12",
            "purpose": f"Погашение займа {loan.payment_reference}",
            "payer_name": "Тестов Тест",
            "payer_account": "KZ86125KZT5004100100",
        },
        {"bank_reference": "KB-0002", "amount": 100_00, "value_date": "2026-12-12", "purpose": "без ссылки"},
        {
            "bank_reference": "KB-0003",
            "amount": 50_00,
            "value_date": "2026-12-13",
            "purpose": loan.payment_reference,
        },
    ]
    fake = FakeStatementBank(lines)
    monkeypatch.setattr(payments_ports, "incoming_bank", lambda: _bank(fake))
    call_command("fetch_bank_statement", "--since", "2026-12-11")
    call_command("fetch_bank_statement", "--since", "2026-12-11")  # the same lines again
    assert sorted(Payment.objects.filter(loan=loan).values_list("payer_reference", flat=True)) == [
        "KB-0001",
        "KB-0003",
    ]
    assert list(SuspenseItem.objects.values_list("bank_reference", flat=True)) == ["KB-0002"]
    fake.mode = "error"
    with pytest.raises(CommandError, match="nothing was posted"):
        call_command("fetch_bank_statement")
