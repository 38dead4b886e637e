"""The bureau's HTTP adapter against a local fake bureau on 127.0.0.1 speaking the documented JSON
contract: bearer token and HMAC signature, idempotency by batch id, retry with the same id, a
timeout as a clear error with nothing marked sent, refusal of the account."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from qaryz.bureau import services
from qaryz.bureau.adapters.embedded import validate
from qaryz.bureau.adapters.http import HttpCreditBureau
from qaryz.bureau.models import Batch, FeedDay, Record
from qaryz.bureau.ports import BureauError, BureauRefused, FeedBatch, FeedItem
from qaryz.bureau.tests.helpers import overdue_loan, reporter

TOKEN = "bureau-test-token"
SECRET = "bureau-test-secret"
ITEM = FeedItem(
    key="1",
    kind="daily",
    as_of=dt.date(2026, 8, 1),
    contract_number="N-1",
    subject_id="900101400152",
    subject_kind="iin",
    status="overdue",
    principal=100,
    principal_overdue=100,
    days_past_due=3,
)


class FakeBureau:
    def __init__(self) -> None:
        self.batches: dict[str, dict] = {}
        self.posts: list[str] = []  # Idempotency-Key of every POST received
        self.accounts = {"bureau-ivanova"}
        self.mode = "normal"  # normal | fail_once | slow | garbage | partial
        self.failed = False

    def handle(self, headers, raw: bytes) -> tuple[int, object]:
        body = json.loads(raw)
        self.posts.append(headers.get("Idempotency-Key"))
        assert headers.get("Idempotency-Key") == body["batch_id"]
        if headers.get("Authorization") != f"Bearer {TOKEN}":
            return 401, {"error": "unauthorized"}
        signature = "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(headers.get("X-Signature", ""), signature):
            return 401, {"error": "bad signature"}
        if headers.get("X-Bureau-Account") not in self.accounts or body["account"] not in self.accounts:
            return 403, {"error": "account"}
        if self.mode == "slow":
            time.sleep(0.6)
        if self.mode == "fail_once" and not self.failed:
            self.failed = True
            self.batches.setdefault(body["batch_id"], self._answer(body))  # received, answer lost
            return 503, {"error": "busy"}
        if self.mode == "garbage":
            return 200, ["no"]
        answer = self.batches.setdefault(body["batch_id"], self._answer(body))
        if self.mode == "partial":
            return 200, {**answer, "results": answer["results"][:0]}
        return 200, answer

    def _answer(self, body: dict) -> dict:
        results = []
        for record in body["records"]:
            reason = validate(record)
            results.append({"key": record["key"], "accepted": not reason, "reason": reason})
        return {
            "batch_id": body["batch_id"],
            "reference": f"CB{len(self.batches) + 1:05d}",
            "results": results,
        }


@pytest.fixture
def fake() -> Iterator[tuple[FakeBureau, str]]:
    state = FakeBureau()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path != "/v1/batches":
                status, payload = 404, {"error": "no route"}
            else:
                status, payload = state.handle(self.headers, raw)
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def adapter(url: str, **kwargs) -> HttpCreditBureau:
    return HttpCreditBureau(url, token=TOKEN, hmac_secret=SECRET, backoff=0.01, **kwargs)


def test_batch_is_acknowledged_per_record_and_idempotent(fake):
    state, url = fake
    bad = FeedItem(**{**ITEM.__dict__, "key": "2", "status": "unknown"})
    batch = FeedBatch("b-1", "bureau-ivanova", (ITEM, bad))
    first = adapter(url).submit_batch(batch)
    second = adapter(url).submit_batch(batch)
    assert first == second and len(state.batches) == 1
    assert [(r.key, r.accepted, r.reason) for r in first.results] == [
        ("1", True, ""),
        ("2", False, "unknown_status"),
    ]


def test_a_failed_attempt_is_retried_with_the_same_batch_id(fake):
    state, url = fake
    state.mode = "fail_once"
    ack = adapter(url, retries=2).submit_batch(FeedBatch("b-2", "bureau-ivanova", (ITEM,)))
    assert state.posts == ["b-2", "b-2"] and ack.reference == "CB00001" and len(state.batches) == 1


@pytest.mark.req("R-CB-1")
def test_refused_account_and_credentials(fake):
    _state, url = fake
    with pytest.raises(BureauRefused):
        adapter(url).submit_batch(FeedBatch("b-3", "someone-else", (ITEM,)))
    with pytest.raises(BureauRefused):
        HttpCreditBureau(url, token=TOKEN, hmac_secret="wrong").submit_batch(
            FeedBatch("b-4", "bureau-ivanova", (ITEM,))
        )


@pytest.mark.parametrize("mode", ["garbage", "partial"])
def test_unreadable_answers_are_errors(fake, mode):
    state, url = fake
    state.mode = mode
    with pytest.raises(BureauError):
        adapter(url).submit_batch(FeedBatch("b-5", "bureau-ivanova", (ITEM,)))


def test_unreachable_bureau_and_missing_settings():
    with pytest.raises(BureauError, match="unreachable"):
        HttpCreditBureau("http://127.0.0.1:9", token=TOKEN, retries=1, backoff=0).submit_batch(
            FeedBatch("b-6", "bureau-ivanova", (ITEM,))
        )
    with pytest.raises(BureauError):
        HttpCreditBureau("", token=TOKEN)
    with pytest.raises(BureauError):
        HttpCreditBureau("https://cb.test")


@pytest.mark.django_db
def test_timeout_is_a_clear_error_and_nothing_is_marked_sent(fake, lending_setup, settings):
    state, url = fake
    late, day = overdue_loan(lending_setup)
    reporter()
    settings.BUREAU_FEED, settings.BUREAU_FEED_URL = "http", url
    settings.BUREAU_FEED_TOKEN, settings.BUREAU_FEED_HMAC_SECRET = TOKEN, SECRET
    settings.BUREAU_FEED_READ_TIMEOUT, settings.BUREAU_FEED_RETRIES = 0.2, 1
    state.mode = "slow"
    with pytest.raises(BureauError, match="did not answer in time; tried 2 times"):
        services.send_feed(day)
    batch = Batch.objects.get()
    assert batch.status == "prepared" and batch.attempts == 1 and batch.sent_at is None
    assert Record.objects.get(loan=late).outcome == "pending"
    assert FeedDay.objects.get(date=day).status == "generated"
    assert state.posts == [batch.batch_id, batch.batch_id]
    # the bureau answers again: the rerun resumes with the same batch id, the feed completes
    state.mode = "normal"
    result = services.send_feed(day)
    assert result.sent.accepted == 1 and set(state.posts) == {batch.batch_id}
    batch.refresh_from_db()
    assert batch.status == "acknowledged" and batch.reference.startswith("CB")
    assert FeedDay.objects.get(date=day).status == "sent"
