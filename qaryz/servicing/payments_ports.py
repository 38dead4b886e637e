"""Ports of incoming money: the card acquirer (charges and signed webhooks) and the bank's
statement of incoming transfers. Embedded simulators in ``adapters/acquirer_embedded.py``; the
adapter in use is a setting (``QARYZ_SERVICING_ACQUIRER``, ``QARYZ_SERVICING_INCOMING_BANK``:
dotted paths of a class with these methods; ``adapters/incoming_http.py`` has the HTTP ones)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


class AcquirerError(Exception):
    """A webhook that is not the acquirer's (bad signature) or not understood, or a charge the
    acquirer did not open."""


class StatementError(Exception):
    """The bank's statement could not be read (nothing of it is imported)."""


@dataclass(frozen=True)
class CardCharge:
    order_id: str  # ours: the loan's payment reference and a nonce
    payment_url: str  # where the client enters the card (the acquirer's page)
    amount: int  # tiyn


@dataclass(frozen=True)
class AcquirerEvent:
    event: str  # "payment.succeeded" (others are acknowledged and ignored)
    payment_id: str  # the acquirer's id: our payer reference (deduplication)
    order_id: str
    payment_reference: str  # the loan's
    amount: int  # tiyn
    paid_on: dt.date


class CardAcquirer(Protocol):
    def create_charge(self, *, payment_reference: str, amount: int, description: str) -> CardCharge: ...

    def parse_webhook(self, body: bytes, signature: str) -> AcquirerEvent:
        """Checks the HMAC-SHA256 signature of ``body`` (constant time) and parses it; raises
        AcquirerError otherwise."""
        ...


@dataclass(frozen=True)
class StatementLine:
    bank_reference: str  # the bank's unique id of the incoming transfer (deduplication)
    amount: int  # tiyn
    value_date: dt.date
    purpose: str  # free text written by the payer: must contain the loan's payment reference
    payer_name: str = ""
    payer_account: str = ""


class IncomingBank(Protocol):
    def statement(self, since: dt.date | None = None) -> list[StatementLine]:
        """Incoming transfers to the MFO's account not yet fetched (or from ``since``)."""
        ...


@lru_cache(maxsize=1)
def acquirer() -> CardAcquirer:
    path = getattr(
        settings, "SERVICING_ACQUIRER", "qaryz.servicing.adapters.acquirer_embedded.EmbeddedAcquirer"
    )
    return import_string(path)()


@lru_cache(maxsize=1)
def incoming_bank() -> IncomingBank:
    path = getattr(
        settings, "SERVICING_INCOMING_BANK", "qaryz.servicing.adapters.acquirer_embedded.EmbeddedIncomingBank"
    )
    return import_string(path)()
