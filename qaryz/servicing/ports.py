"""Outside systems the servicing room needs (typed ports; adapters in qaryz/servicing/adapters/).

Payout bank: the bank through which loans are paid out (transfer to an IBAN or a card, to a
partner merchant's account, or a cash-terminal withdrawal). Its contract, the same for the embedded
simulator (``adapters/bank_embedded.py``) and a real bank over HTTPS (``adapters/bank_http.py``):

- ``confirm_ownership(id_number, account)`` – does the IBAN or card belong to this IIN/BIN?
- ``send_transfer(key, ...)`` – accepted asynchronously; the same ``key`` twice is the same
  transfer (the bank never pays twice for one key); the outcome comes later by a signed webhook
  and can be asked for at any time with ``transfer_status(key)``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, Protocol

Ownership = Literal["owned", "not_owned", "unknown"]
DestinationKind = Literal["iban", "card", "merchant", "terminal"]
TransferState = Literal["accepted", "paid", "failed", "unknown"]


class PayoutBankError(Exception):
    """The bank did not answer or answered something unreadable: the outcome is not known.

    After ``send_transfer`` this does NOT mean the transfer was not made (a timeout may hide an
    accepted transfer): the payout stays pending and ``reconcile_payouts`` asks the bank by key."""


@dataclass(frozen=True)
class Destination:
    kind: DestinationKind
    account: str  # IBAN, card number (or its token), merchant IBAN, or the client's phone for a terminal
    owner_id_number: str  # IIN / BIN of the beneficiary
    owner_name: str = ""


@dataclass(frozen=True)
class TransferAck:
    key: str
    reference: str
    state: TransferState
    withdrawal_code: str = ""  # cash terminal: the code the client types at the terminal


@dataclass(frozen=True)
class TransferStatus:
    key: str
    state: TransferState  # "unknown": the bank has no transfer with this key
    reference: str = ""
    value_date: dt.date | None = None
    reason: str = ""


class PayoutBank(Protocol):
    name: str

    def confirm_ownership(self, id_number: str, account: str) -> Ownership:
        """Whether ``account`` (IBAN or card) is held by the person or entity ``id_number``."""
        ...

    def send_transfer(self, key: str, amount: int, destination: Destination, *, purpose: str) -> TransferAck:
        """Pay ``amount`` tiyn to ``destination``; idempotent by ``key``. Raises PayoutBankError."""
        ...

    def transfer_status(self, key: str) -> TransferStatus:
        """The bank's state of the transfer with ``key``. Raises PayoutBankError."""
        ...
