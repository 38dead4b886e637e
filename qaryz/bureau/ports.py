"""The credit bureau as the receiver of the MFO's loan data (typed port; adapters in adapters/).

Contract, the same for the embedded simulator (``adapters/embedded.py``) and a real bureau over
HTTPS (``adapters/http.py``):

- ``submit_batch(batch)`` – the bureau authenticates the sending account (a named person's, R-CB-1),
  validates each record and answers with its reference for the batch and, per record, accepted or
  rejected with a reason code. The same ``batch_id`` twice is the same batch: the bureau answers
  what it answered the first time and applies nothing again.
- Raises ``BureauRefused`` when the bureau refuses the sender (unknown or disabled account, bad
  credentials): nothing was received, retrying will not help until the account is fixed.
- Raises ``BureauError`` when the outcome is unknown (timeout, unreachable, unreadable answer):
  the batch is sent again later with the same id.

Amounts are integer tiyn. Reason codes (``REASONS`` in services) are shown to staff in words.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

STATUSES = frozenset({"current", "overdue", "closed", "written_off", "suspended", "cleared"})
KINDS = frozenset({"daily", "suspension", "correction"})


class BureauError(Exception):
    """No readable answer: the outcome is unknown; resend the same batch id later."""


class BureauRefused(BureauError):
    """The bureau refused the sender (account unknown, disabled or wrong credentials)."""


@dataclass(frozen=True)
class FeedItem:
    key: str  # unique per record on our side; the bureau answers per key
    kind: str  # daily | suspension | correction
    as_of: dt.date
    contract_number: str
    subject_id: str  # IIN or BIN
    subject_kind: str  # iin | bin
    status: str  # one of STATUSES
    amount: int = 0
    disbursed_on: dt.date | None = None
    principal: int = 0
    principal_overdue: int = 0
    interest: int = 0
    interest_overdue: int = 0
    penalty: int = 0
    fees_overdue: int = 0
    days_past_due: int = 0
    reason: str = ""

    def as_json(self) -> dict:
        return {
            "key": self.key,
            "kind": self.kind,
            "as_of": self.as_of.isoformat(),
            "contract_number": self.contract_number,
            "subject_id": self.subject_id,
            "subject_kind": self.subject_kind,
            "status": self.status,
            "amount": self.amount,
            "disbursed_on": self.disbursed_on.isoformat() if self.disbursed_on else None,
            "principal": self.principal,
            "principal_overdue": self.principal_overdue,
            "interest": self.interest,
            "interest_overdue": self.interest_overdue,
            "penalty": self.penalty,
            "fees_overdue": self.fees_overdue,
            "days_past_due": self.days_past_due,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class FeedBatch:
    batch_id: str
    account: str  # the responsible person's bureau login
    items: tuple[FeedItem, ...]

    def as_json(self) -> dict:
        return {
            "batch_id": self.batch_id,
            "account": self.account,
            "records": [i.as_json() for i in self.items],
        }


@dataclass(frozen=True)
class ItemResult:
    key: str
    accepted: bool
    reason: str = ""  # code when rejected
    message: str = ""  # the bureau's own words, if it sent any


@dataclass(frozen=True)
class BatchAck:
    batch_id: str
    reference: str
    results: tuple[ItemResult, ...] = field(default_factory=tuple)


class CreditBureauFeed(Protocol):
    name: str

    def submit_batch(self, batch: FeedBatch) -> BatchAck:
        """Deliver ``batch``; idempotent by ``batch.batch_id``. Raises BureauRefused / BureauError."""
        ...
