"""Embedded simulators of incoming money (offline, stateful):

* ``EmbeddedAcquirer`` – a card acquirer: ``create_charge`` opens an order, ``pay`` takes a card
  (Luhn-checked; a card ending in 0002 is declined), keeps the payment and sends the webhook –
  JSON signed with HMAC-SHA256 under a key derived from the Django secret – to
  ``repayments.card_webhook`` (the same function the webhook view calls); ``redeliver`` sends the
  same webhook again, as real acquirers do on timeouts.
* ``EmbeddedIncomingBank`` – the MFO's bank account: ``push_transfer`` records an incoming
  transfer; ``statement`` returns the lines not fetched yet (what the statement import reads).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import threading

from django.conf import settings
from django.utils import timezone

from qaryz.servicing.payments_ports import AcquirerError, AcquirerEvent, CardCharge, StatementLine

SIGNATURE_HEADER = "X-Acquirer-Signature"


def webhook_key() -> bytes:
    configured = getattr(settings, "SERVICING_ACQUIRER_WEBHOOK_KEY", "")
    if configured:
        return configured.encode()
    return hashlib.sha256(b"qaryz-embedded-acquirer:" + settings.SECRET_KEY.encode()).digest()


def sign(body: bytes) -> str:
    return hmac.new(webhook_key(), body, hashlib.sha256).hexdigest()


def _luhn_ok(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    if len(digits) < 12 or len(digits) != len(number):
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


class EmbeddedAcquirer:
    _lock = threading.Lock()
    _orders: dict[str, dict] = {}
    _payments: dict[str, dict] = {}

    def create_charge(self, *, payment_reference: str, amount: int, description: str = "") -> CardCharge:
        if amount <= 0:
            raise AcquirerError("amount must be positive")
        order_id = f"ord_{secrets.token_hex(8)}"
        with self._lock:
            self._orders[order_id] = {"payment_reference": payment_reference, "amount": amount, "paid": None}
        return CardCharge(order_id=order_id, payment_url=f"/demo-acquirer/pay/{order_id}", amount=amount)

    def pay(self, order_id: str, card_number: str, *, deliver: bool = True) -> tuple[bytes, str]:
        """The client pays the order with a card; returns (webhook body, signature) and delivers it."""
        with self._lock:
            order = self._orders.get(order_id)
            if order is None:
                raise AcquirerError("unknown order")
            if not _luhn_ok(card_number) or card_number.endswith("0002"):
                raise AcquirerError("card declined")
            if order["paid"] is None:
                payment_id = f"acq_{secrets.token_hex(10)}"
                order["paid"] = payment_id
                self._payments[payment_id] = {
                    "event": "payment.succeeded",
                    "payment_id": payment_id,
                    "order_id": order_id,
                    "payment_reference": order["payment_reference"],
                    "amount": order["amount"],
                    "paid_on": timezone.localdate().isoformat(),
                    "card": f"****{card_number[-4:]}",
                }
            payload = self._payments[order["paid"]]
        body = json.dumps(payload, sort_keys=True).encode()
        signature = sign(body)
        if deliver:
            self.deliver(body, signature)
        return body, signature

    def redeliver(self, order_id: str) -> tuple[bytes, str]:
        payment_id = self._orders[order_id]["paid"]
        body = json.dumps(self._payments[payment_id], sort_keys=True).encode()
        signature = sign(body)
        self.deliver(body, signature)
        return body, signature

    @staticmethod
    def deliver(body: bytes, signature: str) -> None:
        from qaryz.servicing.repayments import card_webhook

        card_webhook(body, signature)

    def parse_webhook(self, body: bytes, signature: str) -> AcquirerEvent:
        if not signature or not hmac.compare_digest(sign(body), signature.strip().lower()):
            raise AcquirerError("bad signature")
        try:
            data = json.loads(body)
            return AcquirerEvent(
                event=str(data["event"]),
                payment_id=str(data["payment_id"]),
                order_id=str(data["order_id"]),
                payment_reference=str(data["payment_reference"]),
                amount=int(data["amount"]),
                paid_on=dt.date.fromisoformat(data["paid_on"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise AcquirerError("malformed webhook") from exc


class EmbeddedIncomingBank:
    _lock = threading.Lock()
    _lines: list[StatementLine] = []
    _fetched = 0

    def push_transfer(
        self,
        *,
        amount: int,
        purpose: str,
        value_date: dt.date | None = None,
        payer_name: str = "",
        payer_account: str = "",
    ) -> StatementLine:
        line = StatementLine(
            bank_reference=f"bnk_{secrets.token_hex(10)}",
            amount=amount,
            value_date=value_date or timezone.localdate(),
            purpose=purpose,
            payer_name=payer_name,
            payer_account=payer_account,
        )
        with self._lock:
            type(self)._lines.append(line)
        return line

    def statement(self, since: dt.date | None = None) -> list[StatementLine]:
        with self._lock:
            if since is not None:
                return [line for line in self._lines if line.value_date >= since]
            lines = self._lines[type(self)._fetched :]
            type(self)._fetched = len(self._lines)
            return lines
