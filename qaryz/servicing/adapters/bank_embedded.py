"""The embedded payout bank: a stateful simulator of the bank Qaryz pays loans out through.

It behaves like the bank of ``ports.PayoutBank`` (docs/servicing.md "Payout bank simulator"):

- It knows who holds which account: every IBAN / card registered by a client (``clients.BankAccount``
  rows, current or replaced, as a bank's customer records would) belongs to that client's IIN/BIN,
  plus the foreign accounts of ``PAYOUT_SIM_ACCOUNTS`` (``{"<IBAN or card>": "<IIN/BIN>"}``; an
  IIN/BIN of ``"?"`` makes the bank answer "unknown" for that account). An account it has never
  seen is ``unknown`` – never owned.
- ``send_transfer`` records the transfer in ``SimulatedBankTransfer`` (a table, so the web server,
  Celery and commands share the bank) and answers "accepted"; the same key again returns the same
  transfer. The transfer settles ``PAYOUT_SIM_DELAY_SECONDS`` later: paid, or failed on purpose.
- The outcome is pushed to Qaryz by a webhook signed with HMAC-SHA256 over the raw body
  (``X-Qaryz-Signature: sha256=<hex>``, secret ``PAYOUT_WEBHOOK_SECRET``): to
  ``PAYOUT_SIM_WEBHOOK_URL`` over HTTP if set, otherwise straight to the same handler the endpoint
  uses, in-process. ``deliver_pending()`` settles and delivers what is due (tests call it; in the
  demo a timer thread calls it after the delay when ``PAYOUT_SIM_AUTO_DELIVER``).

Failures on purpose: ``PAYOUT_SIM_MODE`` = ``down`` (every call raises PayoutBankError), ``timeout``
(the transfer is recorded but the answer is lost: PayoutBankError, as a real timeout), ``fail``
(every transfer fails). Per account: an account ending in ``0009`` fails ("account closed"), one
ending in ``0008`` times out after being recorded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import threading

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from qaryz.servicing.ports import Destination, Ownership, PayoutBankError, TransferAck, TransferStatus

logger = logging.getLogger("qaryz.servicing.bank_simulator")

FAIL_SUFFIX = "0009"
TIMEOUT_SUFFIX = "0008"


def sign(body: bytes, secret: str | None = None) -> str:
    secret = settings.PAYOUT_WEBHOOK_SECRET if secret is None else secret
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _normalise(account: str) -> str:
    return "".join((account or "").split()).upper()


class EmbeddedPayoutBank:
    name = "embedded"

    # --- the bank's answers ---------------------------------------------------------------------
    def confirm_ownership(self, id_number: str, account: str) -> Ownership:
        from qaryz.clients.models import BankAccount, Client
        from qaryz.core.encrypted import blind_index

        self._check_up()
        account = _normalise(account)
        foreign = {_normalise(k): v for k, v in (settings.PAYOUT_SIM_ACCOUNTS or {}).items()}
        if account in foreign:
            if foreign[account] == "?":
                return "unknown"
            return "owned" if foreign[account] == id_number else "not_owned"
        holders = set()
        # The account column is encrypted at rest (R-3P-1): found through its keyed blind index.
        index = blind_index(account, "clients.bankaccount.value")
        for client_id in BankAccount.objects.filter(value_index=index).values_list("client_id", flat=True):
            client = Client.objects.only("kind", "iin", "bin").get(pk=client_id)
            holders.add(client.id_number)
        if not holders:
            return "unknown"
        return "owned" if id_number in holders else "not_owned"

    def send_transfer(self, key: str, amount: int, destination: Destination, *, purpose: str) -> TransferAck:
        from qaryz.servicing.models import SimulatedBankTransfer as Sim

        self._check_up()
        if amount <= 0:
            raise PayoutBankError("amount must be positive")
        now = timezone.now()
        account = _normalise(destination.account)
        try:
            with transaction.atomic():
                row, created = Sim.objects.get_or_create(
                    key=key,
                    defaults={
                        "reference": "SIM" + secrets.token_hex(8).upper(),
                        "amount": amount,
                        "destination_kind": destination.kind,
                        "destination": account[:40],
                        "owner_id_number": destination.owner_id_number,
                        "withdrawal_code": f"{secrets.randbelow(10**6):06d}"
                        if destination.kind == "terminal"
                        else "",
                        "accepted_at": now,
                        "settle_at": now + dt.timedelta(seconds=settings.PAYOUT_SIM_DELAY_SECONDS),
                    },
                )
        except IntegrityError:  # the same key sent concurrently: it is the same transfer
            row, created = Sim.objects.get(key=key), False
        if not created and (row.amount != amount or row.destination != account[:40]):
            raise PayoutBankError("idempotency key reused for a different transfer")
        if settings.PAYOUT_SIM_MODE == "timeout" or account.endswith(TIMEOUT_SUFFIX):
            raise PayoutBankError("payout bank timed out")
        if created and settings.PAYOUT_SIM_AUTO_DELIVER:
            timer = threading.Timer(settings.PAYOUT_SIM_DELAY_SECONDS + 0.2, _deliver_in_background)
            timer.daemon = True
            timer.start()
        return TransferAck(
            key=key, reference=row.reference, state=self._state(row), withdrawal_code=row.withdrawal_code
        )

    def transfer_status(self, key: str) -> TransferStatus:
        from qaryz.servicing.models import SimulatedBankTransfer as Sim

        self._check_up()
        row = Sim.objects.filter(key=key).first()
        if row is None:
            return TransferStatus(key=key, state="unknown")
        row = self._settle(row)
        return TransferStatus(
            key=key,
            state=self._state(row),
            reference=row.reference,
            value_date=timezone.localdate(row.settled_at) if row.settled_at else None,
            reason=row.reason,
        )

    # --- the simulator's own machinery ----------------------------------------------------------
    @staticmethod
    def _check_up() -> None:
        if settings.PAYOUT_SIM_MODE == "down":
            raise PayoutBankError("payout bank unavailable")

    @staticmethod
    def _state(row) -> str:
        return {"accepted": "accepted", "paid": "paid", "failed": "failed"}[row.status]

    @staticmethod
    def _settle(row, now: dt.datetime | None = None):
        """Settle a due transfer (paid, or failed on purpose); settled ones stay as they are."""
        from qaryz.servicing.models import SimulatedBankTransfer as Sim

        now = now or timezone.now()
        if row.status != Sim.Status.ACCEPTED or row.settle_at > now:
            return row
        with transaction.atomic():
            row = Sim.objects.select_for_update().get(pk=row.pk)
            if row.status != Sim.Status.ACCEPTED:
                return row
            if settings.PAYOUT_SIM_MODE == "fail" or row.destination.endswith(FAIL_SUFFIX):
                row.status, row.reason = Sim.Status.FAILED, "beneficiary account closed"
            else:
                row.status = Sim.Status.PAID
            row.settled_at = now
            row.save(update_fields=["status", "reason", "settled_at"])
        return row

    def deliver_pending(self, now: dt.datetime | None = None) -> int:
        """Settle every due transfer and deliver its webhook; returns how many were delivered."""
        from qaryz.servicing.models import SimulatedBankTransfer as Sim

        now = now or timezone.now()
        delivered = 0
        for row in Sim.objects.filter(webhook_delivered_at__isnull=True, settle_at__lte=now):
            row = self._settle(row, now)
            if row.status == Sim.Status.ACCEPTED:
                continue
            body = json.dumps(
                {
                    "event": "transfer.settled",
                    "key": row.key,
                    "reference": row.reference,
                    "state": row.status,
                    "amount": row.amount,
                    "value_date": timezone.localdate(row.settled_at).isoformat(),
                    "reason": row.reason,
                },
                sort_keys=True,
            ).encode()
            Sim.objects.filter(pk=row.pk).update(webhook_attempts=row.webhook_attempts + 1)
            if self._post(body, sign(body)):
                Sim.objects.filter(pk=row.pk).update(webhook_delivered_at=timezone.now())
                delivered += 1
        return delivered

    @staticmethod
    def _post(body: bytes, signature: str) -> bool:
        url = settings.PAYOUT_SIM_WEBHOOK_URL
        try:
            if url:
                import httpx

                response = httpx.post(
                    url,
                    content=body,
                    headers={"Content-Type": "application/json", "X-Qaryz-Signature": signature},
                    timeout=5.0,
                )
                return response.status_code == 200
            from qaryz.servicing import payouts

            payouts.handle_webhook(body, signature)
            return True
        except Exception:  # a failed delivery is retried by the next deliver_pending
            logger.exception("payout webhook delivery failed")
            return False


def _deliver_in_background() -> None:
    from django.db import connection

    try:
        EmbeddedPayoutBank().deliver_pending()
    finally:
        connection.close()
