"""The card acquirer and the MFO's bank statement over HTTPS (JSON, bearer token, timeouts): the
real counterparties of ``CardAcquirer`` and ``IncomingBank`` (ports in ``payments_ports``).

Contract (docs/servicing.md "Incoming money over HTTP"):

- acquirer ``POST /v1/charges`` (header ``Idempotency-Key``) ``{"payment_reference", "amount" (tiyn),
  "currency": "KZT", "description"}`` → 200/201 ``{"order_id", "payment_url", "amount"}``;
  its webhooks are the JSON the embedded acquirer sends, signed with HMAC-SHA256 under
  ``QARYZ_SERVICING_ACQUIRER_WEBHOOK_KEY`` (hex digest in ``X-Acquirer-Signature``).
- bank ``GET /v1/statements/incoming?from=YYYY-MM-DD[&cursor=…]`` → 200 ``{"lines": [{"bank_reference",
  "amount" (tiyn), "value_date", "purpose", "payer_name"?, "payer_account"?}], "next_cursor"?}``,
  read page by page. Without ``since`` the last ``QARYZ_SERVICING_STATEMENT_LOOKBACK_DAYS`` days are
  read again: the import deduplicates by the bank's reference, so an overlap posts nothing twice.

Anything else – a timeout, a refused connection, another status, a body we cannot read – raises
AcquirerError / StatementError with the reason; nothing is posted from a partial answer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import uuid
from typing import Any

import httpx
from django.conf import settings
from django.utils import timezone

from qaryz.servicing.payments_ports import (
    AcquirerError,
    AcquirerEvent,
    CardCharge,
    StatementError,
    StatementLine,
)

MAX_PAGES = 200


def _client(transport: httpx.BaseTransport | None, timeout: float) -> httpx.Client:
    return httpx.Client(timeout=timeout, transport=transport)


def _tiyn(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError("amount must be a positive whole number of tiyn")
    return value


class HttpAcquirer:
    name = "http"

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        *,
        webhook_key: str | None = None,
        timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = (base_url if base_url is not None else settings.SERVICING_ACQUIRER_URL).rstrip("/")
        self.token = token if token is not None else settings.SERVICING_ACQUIRER_TOKEN
        key = webhook_key if webhook_key is not None else settings.SERVICING_ACQUIRER_WEBHOOK_KEY
        if not self.base_url or not key:
            raise AcquirerError(
                "QARYZ_SERVICING_ACQUIRER_URL and _WEBHOOK_KEY must be set for the HTTP acquirer"
            )
        self.key = key.encode()
        self.timeout = timeout if timeout is not None else settings.SERVICING_HTTP_TIMEOUT
        self.transport = transport

    def create_charge(self, *, payment_reference: str, amount: int, description: str = "") -> CardCharge:
        payload = {
            "payment_reference": payment_reference,
            "amount": amount,
            "currency": "KZT",
            "description": description,
        }
        try:
            with _client(self.transport, self.timeout) as client:
                response = client.post(
                    f"{self.base_url}/v1/charges",
                    json=payload,
                    headers={"Authorization": f"Bearer {self.token}", "Idempotency-Key": uuid.uuid4().hex},
                )
        except httpx.HTTPError as exc:
            raise AcquirerError(f"acquirer unreachable: {exc!r}") from exc
        if response.status_code not in (200, 201):
            raise AcquirerError(f"acquirer answered {response.status_code}")
        try:
            body = response.json()
            charge = CardCharge(
                order_id=str(body["order_id"])[:80],
                payment_url=str(body["payment_url"]),
                amount=_tiyn(body["amount"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise AcquirerError("unreadable charge answer") from exc
        if charge.amount != amount or not charge.payment_url.startswith("https://"):
            raise AcquirerError("the acquirer's charge does not match the request")
        return charge

    def parse_webhook(self, body: bytes, signature: str) -> AcquirerEvent:
        expected = hmac.new(self.key, body, hashlib.sha256).hexdigest()
        if not signature or not hmac.compare_digest(expected, signature.strip().lower()):
            raise AcquirerError("bad signature")
        try:
            data = json.loads(body)
            return AcquirerEvent(
                event=str(data["event"]),
                payment_id=str(data["payment_id"])[:80],
                order_id=str(data["order_id"])[:80],
                payment_reference=str(data["payment_reference"])[:40],
                amount=_tiyn(data["amount"]),
                paid_on=dt.date.fromisoformat(data["paid_on"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise AcquirerError("malformed webhook") from exc


class HttpIncomingBank:
    name = "http"

    def __init__(
        self,
        base_url: str | None = None,
        token: str | None = None,
        *,
        lookback_days: int | None = None,
        timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = (base_url if base_url is not None else settings.SERVICING_STATEMENT_URL).rstrip("/")
        if not self.base_url:
            raise StatementError("QARYZ_SERVICING_STATEMENT_URL is not set")
        self.token = token if token is not None else settings.SERVICING_STATEMENT_TOKEN
        self.lookback_days = (
            lookback_days if lookback_days is not None else settings.SERVICING_STATEMENT_LOOKBACK_DAYS
        )
        self.timeout = timeout if timeout is not None else settings.SERVICING_HTTP_TIMEOUT
        self.transport = transport

    def statement(self, since: dt.date | None = None) -> list[StatementLine]:
        start = since or timezone.localdate() - dt.timedelta(days=self.lookback_days)
        params: dict[str, str] = {"from": start.isoformat()}
        lines: list[StatementLine] = []
        with _client(self.transport, self.timeout) as client:
            for _page in range(MAX_PAGES):
                try:
                    response = client.get(
                        f"{self.base_url}/v1/statements/incoming",
                        params=params,
                        headers={"Authorization": f"Bearer {self.token}"},
                    )
                except httpx.HTTPError as exc:
                    raise StatementError(f"bank unreachable: {exc!r}") from exc
                if response.status_code != 200:
                    raise StatementError(f"bank answered {response.status_code}")
                try:
                    body = response.json()
                    lines += [self._line(item) for item in body["lines"]]
                    cursor = body.get("next_cursor")
                except (ValueError, KeyError, TypeError, AttributeError) as exc:
                    raise StatementError("unreadable statement") from exc
                if not cursor:
                    return lines
                params = {"from": start.isoformat(), "cursor": str(cursor)}
        raise StatementError(f"statement longer than {MAX_PAGES} pages")

    @staticmethod
    def _line(item: dict[str, Any]) -> StatementLine:
        reference = str(item["bank_reference"]).strip()
        if not reference:
            raise ValueError("a statement line without the bank's reference")
        return StatementLine(
            bank_reference=reference[:80],
            amount=_tiyn(item["amount"]),
            value_date=dt.date.fromisoformat(item["value_date"]),
            purpose=str(item.get("purpose") or "")[:300],
            payer_name=str(item.get("payer_name") or "")[:200],
            payer_account=str(item.get("payer_account") or "")[:34],
        )
