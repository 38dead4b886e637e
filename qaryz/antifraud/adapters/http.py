"""The NBRK antifraud centre over HTTPS: JSON with a bearer token.

Contract (docs/antifraud.md "NBRK antifraud centre"):
``POST {base}/v1/messages`` with ``Authorization: Bearer <token>``, ``Idempotency-Key: <key>``,
body ``{"key", "kind", "payload"}`` → 200/201 ``{"key", "accepted": bool, "reference"?, "reason"?}``.
A timeout, a refused connection or 429/5xx is retried with the same key, then ``CentreError``;
any other status or an unreadable body is ``CentreError``.
"""

from __future__ import annotations

import json
import time

import httpx

from qaryz.antifraud.ports import CentreAck, CentreError, CentreMessage

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class HttpCentre:
    name = "http"

    def __init__(
        self,
        base_url: str,
        *,
        token: str,
        timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 0.5,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not base_url or not token:
            raise CentreError("set QARYZ_AFC_URL and QARYZ_AFC_TOKEN")
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.transport = transport

    def submit(self, message: CentreMessage) -> CentreAck:
        body = json.dumps(
            {"key": message.key, "kind": message.kind, "payload": message.payload},
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {self.token}",
            "Idempotency-Key": message.key,
        }
        problem = ""
        with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
            for attempt in range(self.retries + 1):
                if attempt:
                    time.sleep(self.backoff * attempt)
                try:
                    response = client.post(f"{self.base_url}/v1/messages", content=body, headers=headers)
                except httpx.TimeoutException:
                    problem = "the centre did not answer in time"
                    continue
                except httpx.TransportError as exc:
                    problem = f"the centre is unreachable ({type(exc).__name__})"
                    continue
                if response.status_code in RETRY_STATUSES:
                    problem = f"the centre answered {response.status_code}"
                    continue
                if response.status_code not in (200, 201):
                    raise CentreError(f"the centre answered {response.status_code}")
                return self._ack(response, message)
        raise CentreError(f"{problem}; tried {self.retries + 1} times with key {message.key}")

    @staticmethod
    def _ack(response: httpx.Response, message: CentreMessage) -> CentreAck:
        try:
            data = response.json()
        except ValueError as exc:
            raise CentreError("the centre's answer is not JSON") from exc
        if (
            not isinstance(data, dict)
            or data.get("key") != message.key
            or not isinstance(data.get("accepted"), bool)
        ):
            raise CentreError("the centre's answer is not about this message")
        if data["accepted"] and not data.get("reference"):
            raise CentreError("the centre accepted without a reference")
        return CentreAck(
            message.key,
            data["accepted"],
            str(data.get("reference") or "")[:60],
            str(data.get("reason") or "")[:40],
        )
