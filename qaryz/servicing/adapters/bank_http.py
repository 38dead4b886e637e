"""The payout bank over HTTPS (JSON, bearer token, timeouts): the real counterparty of ``PayoutBank``.

Contract (docs/servicing.md "Payout bank"):

- ``POST /v1/ownership`` ``{"id_number", "account"}`` → ``{"result": "owned"|"not_owned"|"unknown"}``
- ``POST /v1/transfers`` (header ``Idempotency-Key``) ``{"key", "amount" (tiyn), "currency": "KZT",
  "destination": {"kind", "account", "owner_id_number", "owner_name"}, "purpose"}``
  → 200/201/202 ``{"key", "reference", "state", "withdrawal_code"?}``
- ``GET /v1/transfers/<key>`` → 200 ``{"key", "reference", "state", "value_date"?, "reason"?}``, 404 unknown

Anything else – a timeout, a refused connection, another status, a body we cannot read – raises
PayoutBankError: the outcome is unknown and the payout is reconciled later by key. Sending is
retried once on a connection failure or a timeout, which is safe only because the bank deduplicates
by the idempotency key.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

import httpx

from qaryz.servicing.ports import Destination, Ownership, PayoutBankError, TransferAck, TransferStatus

STATES = {"accepted", "paid", "failed"}


class HttpPayoutBank:
    name = "http"

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 10.0,
        retries: int = 1,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not base_url:
            raise PayoutBankError("QARYZ_PAYOUT_URL is not set")
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.transport = transport

    def _call(
        self, method: str, path: str, *, json: dict | None = None, headers: dict | None = None
    ) -> httpx.Response:
        last: Exception | None = None
        with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
            for _ in range(self.retries + 1):
                try:
                    return client.request(
                        method,
                        f"{self.base_url}{path}",
                        json=json,
                        headers={"Authorization": f"Bearer {self.token}", **(headers or {})},
                    )
                except (httpx.ConnectError, httpx.TimeoutException) as exc:
                    last = exc
        raise PayoutBankError(f"payout bank unreachable: {last!r}")

    @staticmethod
    def _json(response: httpx.Response) -> dict:
        try:
            body = response.json()
        except ValueError as exc:
            raise PayoutBankError("payout bank answer is not JSON") from exc
        if not isinstance(body, dict):
            raise PayoutBankError("payout bank answer is not an object")
        return body

    def confirm_ownership(self, id_number: str, account: str) -> Ownership:
        response = self._call("POST", "/v1/ownership", json={"id_number": id_number, "account": account})
        if response.status_code != 200:
            raise PayoutBankError(f"payout bank answered {response.status_code}")
        result = self._json(response).get("result")
        if result not in ("owned", "not_owned", "unknown"):
            raise PayoutBankError("unreadable ownership answer")
        return result

    def send_transfer(self, key: str, amount: int, destination: Destination, *, purpose: str) -> TransferAck:
        payload = {
            "key": key,
            "amount": amount,
            "currency": "KZT",
            "destination": {
                "kind": destination.kind,
                "account": destination.account,
                "owner_id_number": destination.owner_id_number,
                "owner_name": destination.owner_name,
            },
            "purpose": purpose,
        }
        response = self._call("POST", "/v1/transfers", json=payload, headers={"Idempotency-Key": key})
        if response.status_code not in (200, 201, 202):
            raise PayoutBankError(f"payout bank answered {response.status_code}")
        body = self._json(response)
        if body.get("key") != key or body.get("state") not in STATES or not body.get("reference"):
            raise PayoutBankError("unreadable transfer answer")
        return TransferAck(
            key=key,
            reference=str(body["reference"])[:64],
            state=body["state"],
            withdrawal_code=str(body.get("withdrawal_code") or "")[:8],
        )

    def transfer_status(self, key: str) -> TransferStatus:
        response = self._call("GET", f"/v1/transfers/{quote(key, safe='')}")
        if response.status_code == 404:
            return TransferStatus(key=key, state="unknown")
        if response.status_code != 200:
            raise PayoutBankError(f"payout bank answered {response.status_code}")
        body = self._json(response)
        if body.get("key") != key or body.get("state") not in STATES:
            raise PayoutBankError("unreadable transfer status")
        try:
            value_date = dt.date.fromisoformat(body["value_date"]) if body.get("value_date") else None
        except (TypeError, ValueError) as exc:
            raise PayoutBankError("unreadable value date") from exc
        return TransferStatus(
            key=key,
            state=body["state"],
            reference=str(body.get("reference") or "")[:64],
            value_date=value_date,
            reason=str(body.get("reason") or "")[:200],
        )
