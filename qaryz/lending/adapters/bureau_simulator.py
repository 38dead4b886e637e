"""The embedded credit bureau: a small HTTP service of the project's own (WSGI, stdlib only).

Deterministic answers per IIN, by the serial digits 8-11 of the IIN (docs/lending.md):
* 9000-9099: a voluntary refusal of loans is registered ("Стоп-кредит");
* 9100-9199: a loan 45 days overdue now;
* 9200-9299: many loans (6 active, large monthly payments);
* 9300-9399: many applications in the last hour (5 inquiries by other lenders);
* 9400-9499: a delay of more than 90 days in the last 12 months, repaid since;
* anything else: 0-2 ordinary loans derived from the IIN, no delay.
It keeps state: every report request is an inquiry that counts towards "applications in the last
hour" for that IIN, as the real bureaus flag several applications within one hour.

Wire format (JSON): ``POST /v1/reports`` with ``{"iin", "consent": {"reference", "given_at"},
"account"}`` and header ``Authorization: Bearer <key>``; the answer is documented in
``qaryz.lending.adapters.http.parse_report``. Run standalone: ``python -m
qaryz.lending.adapters.bureau_simulator 8765``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

StartResponse = Callable[..., object]


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return


class BureauSimulator:
    def __init__(self, api_key: str = "embedded", clock: Callable[[], float] = time.time) -> None:
        self.api_key = api_key
        self.clock = clock
        self._inquiries: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _count_inquiry(self, iin: str) -> int:
        now = self.clock()
        with self._lock:
            queue = self._inquiries[iin]
            while queue and queue[0] < now - 3600:
                queue.popleft()
            count = len(queue)
            queue.append(now)
            return count

    def answer(self, iin: str) -> dict:
        serial = int(iin[7:11])
        seed = int(hashlib.sha256(iin.encode()).hexdigest()[:8], 16)
        loans: list[dict] = []
        refusal = None
        extra_inquiries = 0
        if 9000 <= serial <= 9099:
            refusal = "2025-02-01"
        elif 9100 <= serial <= 9199:
            loans.append(self._loan("МФО «Демо-1»", 350000, 28000, 45, 45))
        elif 9200 <= serial <= 9299:
            loans.extend(self._loan(f"Банк «Демо-{i}»", 900000, 95000, 0, 0) for i in range(1, 7))
        elif 9300 <= serial <= 9399:
            extra_inquiries = 5
        elif 9400 <= serial <= 9499:
            loans.append(self._loan("МФО «Демо-2»", 120000, 15000, 0, 120))
        else:
            for i in range(seed % 3):
                loans.append(
                    self._loan(f"Банк «Демо-{i + 1}»", 100000 + seed % 400000, 8000 + seed % 30000, 0, 0)
                )
        return {
            "report_id": str(uuid.uuid4()),
            "subject": {"iin": iin},
            "voluntary_refusal": {"registered": refusal is not None, "since": refusal},
            "contracts": loans,
            "inquiries_last_hour": self._count_inquiry(iin) + extra_inquiries,
            "generated_at": dt.datetime.now(dt.UTC).isoformat(),
        }

    @staticmethod
    def _loan(creditor: str, outstanding: int, payment: int, overdue: int, max_overdue: int) -> dict:
        return {
            "creditor": creditor,
            "outstanding": f"{outstanding}.00",
            "monthly_payment": f"{payment}.00",
            "overdue_days": overdue,
            "max_overdue_days_12m": max_overdue,
        }

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        def reply(status: str, body: dict) -> list[bytes]:
            data = json.dumps(body, ensure_ascii=False).encode()
            start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
            return [data]

        if environ.get("PATH_INFO") != "/v1/reports" or environ.get("REQUEST_METHOD") != "POST":
            return reply("404 Not Found", {"error": "not_found"})
        if environ.get("HTTP_AUTHORIZATION") != f"Bearer {self.api_key}":
            return reply("401 Unauthorized", {"error": "unauthorized"})
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            payload = json.loads(environ["wsgi.input"].read(min(length, 65536)) or b"{}")
            iin = str(payload["iin"])
            consent = payload["consent"]
            if not consent.get("reference") or not consent.get("given_at") or not payload.get("account"):
                raise ValueError
        except (ValueError, KeyError, TypeError, AttributeError):
            return reply("400 Bad Request", {"error": "consent, account and iin are required"})
        if len(iin) != 12 or not iin.isdigit():
            return reply("422 Unprocessable Entity", {"error": "invalid iin"})
        return reply("200 OK", self.answer(iin))


def serve_in_thread(simulator: BureauSimulator | None = None, port: int = 0) -> tuple[WSGIServer, str]:
    """Start the simulator on a free loopback port (tests, demo); returns (server, base URL)."""
    server = make_server("127.0.0.1", port, simulator or BureauSimulator(), handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True, name="bureau-simulator").start()
    return server, f"http://127.0.0.1:{server.server_port}"


if __name__ == "__main__":
    httpd = make_server("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 8765, BureauSimulator())
    httpd.serve_forever()
