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


class PushDeliveryError(Exception):
    """The push service did not accept the message."""


class PushService(Protocol):
    """Push notifications to the mobile app (FCM / APNs behind one service)."""

    name: str

    def send(self, device_token: str, title: str, body: str, *, data: dict[str, str]) -> str:
        """Deliver one message to one app instance; return the service's message id; raise
        PushDeliveryError."""
        ...


class MailDeliveryError(Exception):
    """The mail server did not accept the message."""


class MailGateway(Protocol):
    """Outgoing e-mail to outside parties (the authority, creditors, service providers)."""

    name: str

    def send(self, to: str, subject: str, body: str, *, sender: str, message_id: str) -> str:
        """Hand one plain-text message to the mail server with the given Message-ID; return the
        id the server knows it by; raise MailDeliveryError."""
        ...
