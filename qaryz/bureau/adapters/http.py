"""A credit bureau over HTTPS: JSON, a bearer token and/or an HMAC-SHA256 signature of the body.

Contract (docs/bureau.md "HTTP bureau"):

- ``POST /v1/batches`` with headers ``Authorization: Bearer <token>`` (if a token is set),
  ``X-Signature: sha256=<hex HMAC of the raw body>`` (if a secret is set), ``Idempotency-Key:
  <batch_id>`` and ``X-Bureau-Account: <login>``; body ``{"batch_id", "account", "records": [...]}``
  (records as ``FeedItem.as_json``)
  → 200/201 ``{"batch_id", "reference", "results": [{"key", "accepted", "reason"?, "message"?}]}``
- 401/403 → ``BureauRefused`` (the account or the credentials are refused);
- a timeout, a refused connection, 429/5xx → retried with the same batch id (the bureau deduplicates
  by it), then ``BureauError``; any other status or an unreadable body → ``BureauError``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx

from qaryz.bureau.ports import BatchAck, BureauError, BureauRefused, FeedBatch, ItemResult

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class HttpCreditBureau:
    name = "http"

    def __init__(
        self,
        base_url: str,
        *,
        token: str = "",
        hmac_secret: str = "",
        connect_timeout: float = 3.0,
        read_timeout: float = 30.0,
        retries: int = 2,
        backoff: float = 0.5,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not base_url:
            raise BureauError("QARYZ_BUREAU_FEED_URL is not set")
        if not token and not hmac_secret:
            raise BureauError("set QARYZ_BUREAU_FEED_TOKEN or QARYZ_BUREAU_FEED_HMAC_SECRET")
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.hmac_secret = hmac_secret
        self.timeout = httpx.Timeout(read_timeout, connect=connect_timeout)
        self.retries = retries
        self.backoff = backoff
        self.transport = transport

    def _headers(self, body: bytes, batch: FeedBatch) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": batch.batch_id,
            "X-Bureau-Account": batch.account,
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.hmac_secret:
            digest = hmac.new(self.hmac_secret.encode(), body, hashlib.sha256).hexdigest()
            headers["X-Signature"] = f"sha256={digest}"
        return headers

    def submit_batch(self, batch: FeedBatch) -> BatchAck:
        body = json.dumps(batch.as_json(), ensure_ascii=False, separators=(",", ":")).encode()
        headers = self._headers(body, batch)
        problem = ""
        with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
            for attempt in range(self.retries + 1):
                if attempt:
                    time.sleep(self.backoff * attempt)
                try:
                    response = client.post(f"{self.base_url}/v1/batches", content=body, headers=headers)
                except httpx.TimeoutException:
                    problem = "the bureau did not answer in time"
                    continue
                except httpx.TransportError as exc:
                    problem = f"the bureau is unreachable ({type(exc).__name__})"
                    continue
                if response.status_code in RETRY_STATUSES:
                    problem = f"the bureau answered {response.status_code}"
                    continue
                if response.status_code in (401, 403):
                    raise BureauRefused(
                        f"the bureau refused account {batch.account!r} ({response.status_code})"
                    )
                if response.status_code not in (200, 201):
                    raise BureauError(f"the bureau answered {response.status_code}")
                return self._ack(response, batch)
        raise BureauError(f"{problem}; tried {self.retries + 1} times with batch id {batch.batch_id}")

    @staticmethod
    def _ack(response: httpx.Response, batch: FeedBatch) -> BatchAck:
        try:
            data = response.json()
        except ValueError as exc:
            raise BureauError("the bureau's answer is not JSON") from exc
        if not isinstance(data, dict) or data.get("batch_id") != batch.batch_id or not data.get("reference"):
            raise BureauError("the bureau's answer is not about this batch")
        raw = data.get("results")
        if not isinstance(raw, list):
            raise BureauError("the bureau's answer has no results")
        results = []
        for row in raw:
            if not isinstance(row, dict) or not isinstance(row.get("accepted"), bool) or not row.get("key"):
                raise BureauError("the bureau's answer has an unreadable result")
            results.append(
                ItemResult(
                    key=str(row["key"]),
                    accepted=row["accepted"],
                    reason=str(row.get("reason") or "")[:40],
                    message=str(row.get("message") or "")[:300],
                )
            )
        expected = {item.key for item in batch.items}
        if {r.key for r in results} != expected:
            raise BureauError("the bureau's answer does not cover every record of the batch")
        return BatchAck(
            batch_id=batch.batch_id, reference=str(data["reference"])[:64], results=tuple(results)
        )
