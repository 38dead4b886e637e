"""Port to the SMS gateway."""

from __future__ import annotations

from typing import Protocol


class SmsDeliveryError(Exception):
    """The gateway did not accept the message."""


class SmsGateway(Protocol):
    name: str

    def send(self, phone: str, text: str, *, purpose: str) -> str:
        """Deliver one message; return the provider's message id; raise SmsDeliveryError."""
        ...
