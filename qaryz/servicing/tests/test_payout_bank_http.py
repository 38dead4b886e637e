"""The payout bank's HTTP adapter against a local fake bank on 127.0.0.1 speaking the documented
JSON contract: bearer token, idempotency by key, status by key, timeouts and garbage answers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from qaryz.servicing.adapters.bank_http import HttpPayoutBank
from qaryz.servicing.ports import Destination, PayoutBankError

TOKEN = "bank-test-token"
DEST = Destination("iban", "KZ86125KZT5004100100", "900101300015", "Тестов Тест")


class FakeBank:
    def __init__(self) -> None:
        self.accounts = {"KZ86125KZT5004100100": "900101300015"}
        self.transfers: dict[str, dict] = {}
        self.posts = 0
        self.mode = "normal"  # normal | slow | garbage | error

    def handle(self, method: str, path: str, body: dict | None) -> tuple[int, object]:
        if self.mode == "slow":
            time.sleep(0.5)
        if self.mode == "garbage":
            return 200, ["not", "an", "object"]
        if self.mode == "error":
            return 503, {"error": "maintenance"}
        if method == "POST" and path == "/v1/ownership":
            holder = self.accounts.get(body["account"])
            result = (
                "unknown" if holder is None else ("owned" if holder == body["id_number"] else "not_owned")
            )
            return 200, {"result": result}
        if method == "POST" and path == "/v1/transfers":
            self.posts += 1
            row = self.transfers.setdefault(
                body["key"],
                {"key": body["key"], "reference": f"B{len(self.transfers) + 1:05d}", "state": "accepted"},
            )
            return 202, row
        if method == "GET" and path.startswith("/v1/transfers/"):
            row = self.transfers.get(path.rsplit("/", 1)[1])
            return (
                (404, {"error": "not found"}) if row is None else (200, {**row, "value_date": "2026-12-02"})
            )
        return 404, {"error": "no route"}


@pytest.fixture
def bank() -> Iterator[tuple[FakeBank, str]]:
    state = FakeBank()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, method: str) -> None:
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                status, payload = 401, {"error": "unauthorized"}
            else:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                if body and method == "POST" and self.path == "/v1/transfers":
                    assert self.headers.get("Idempotency-Key") == body["key"]
                status, payload = state.handle(method, self.path, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            self._answer("POST")

        def do_GET(self) -> None:
            self._answer("GET")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.req("R-DISB-2")
def test_ownership_answers(bank):
    state, url = bank
    adapter = HttpPayoutBank(url, TOKEN)
    assert adapter.confirm_ownership("900101300015", DEST.account) == "owned"
    assert adapter.confirm_ownership("880101300016", DEST.account) == "not_owned"
    assert adapter.confirm_ownership("900101300015", "KZ09125KZT5004100200") == "unknown"


def test_transfer_is_idempotent_and_queried_by_key(bank):
    state, url = bank
    adapter = HttpPayoutBank(url, TOKEN)
    assert adapter.transfer_status("po-1").state == "unknown"
    first = adapter.send_transfer("po-1", 29500000, DEST, purpose="Loan 1")
    second = adapter.send_transfer("po-1", 29500000, DEST, purpose="Loan 1")
    assert first.reference == second.reference and len(state.transfers) == 1
    state.transfers["po-1"]["state"] = "paid"
    status = adapter.transfer_status("po-1")
    assert status.state == "paid" and status.value_date.isoformat() == "2026-12-02"


@pytest.mark.parametrize("mode", ["slow", "garbage", "error"])
def test_timeouts_and_bad_answers_are_unknown_outcomes(bank, mode):
    state, url = bank
    state.mode = mode
    adapter = HttpPayoutBank(url, TOKEN, timeout=0.2)
    with pytest.raises(PayoutBankError):
        adapter.send_transfer("po-2", 100, DEST, purpose="x")
    with pytest.raises(PayoutBankError):
        adapter.confirm_ownership("900101300015", DEST.account)


def test_wrong_token_and_unreachable_bank(bank):
    _state, url = bank
    with pytest.raises(PayoutBankError):
        HttpPayoutBank(url, "wrong").confirm_ownership("900101300015", DEST.account)
    with pytest.raises(PayoutBankError):
        HttpPayoutBank("http://127.0.0.1:9", TOKEN, timeout=0.5).transfer_status("po-3")


@pytest.mark.django_db
def test_payout_bank_setting_selects_the_http_adapter(settings, bank):
    from qaryz.servicing.payouts import payout_bank

    _state, url = bank
    settings.PAYOUT_BANK, settings.PAYOUT_URL, settings.PAYOUT_TOKEN = "http", url, TOKEN
    adapter = payout_bank()
    assert isinstance(adapter, HttpPayoutBank)
    assert adapter.confirm_ownership("900101300015", DEST.account) == "owned"
