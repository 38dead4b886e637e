"""The NBRK antifraud centre as the receiver of our alerts and confirmed frauds (typed port).

Contract, the same for the embedded simulator (``adapters/embedded.py``) and the centre over HTTPS
(``adapters/http.py``):

- ``submit(message)`` – the centre validates the message and answers accepted with its reference,
  or rejected with a reason code. The same ``key`` twice is the same message: the centre answers
  what it answered the first time.
- Raises ``CentreError`` when the outcome is unknown (timeout, unreachable, unreadable answer): the
  message stays pending and is sent again with the same key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

MESSAGE_KINDS = frozenset({"alert", "fraud"})


class CentreError(Exception):
    """No readable answer; resend the same key later."""


@dataclass(frozen=True)
class CentreMessage:
    key: str
    kind: str  # alert | fraud
    payload: dict  # see services.alert_payload / fraud_payload


@dataclass(frozen=True)
class CentreAck:
    key: str
    accepted: bool
    reference: str = ""
    reason: str = ""


class AntifraudCentre(Protocol):
    name: str

    def submit(self, message: CentreMessage) -> CentreAck:
        """Deliver ``message``; idempotent by its key. Raises CentreError."""
        ...
