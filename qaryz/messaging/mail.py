"""Sending e-mail to outside parties (the authority, creditors, service providers) through the
outgoing-mail port (``settings.MAIL_GATEWAY``). Every attempt is one ``MailDelivery`` row – time,
recipient, message id or the error – shown on the back office's mail outbox; a failed attempt is
retried by sending again (a new row). Other rooms call only ``send_mail``."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import make_msgid
from django.core.validators import validate_email
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from qaryz.messaging.models import MailDelivery
from qaryz.messaging.ports import MailDeliveryError, MailGateway

logger = logging.getLogger("qaryz.messaging.mail")


class MailAddressError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def mail_gateway() -> MailGateway:
    return import_string(settings.MAIL_GATEWAY)()


def clean_address(address: str) -> str:
    address = (address or "").strip()
    try:
        validate_email(address)
    except ValidationError:
        raise MailAddressError(_("Enter a valid e-mail address.")) from None
    return address


def _actor(actor: Any) -> str:
    if actor is None or isinstance(actor, str):
        return actor or "system"
    return actor.get_username() if hasattr(actor, "get_username") else str(actor)


def send_mail(to: str, subject: str, body: str, *, reference: str, actor: Any) -> MailDelivery:
    """Send one message and record the attempt. A refused address raises ``MailAddressError``;
    a delivery failure is recorded (status ``failed``, the server's answer) and returned, never
    raised, so the caller keeps its own state and shows the failure."""
    to = clean_address(to)
    gateway = mail_gateway()
    domain = settings.MAIL_FROM.rpartition("@")[2] or None
    message_id = make_msgid(domain=domain)
    try:
        server_id = gateway.send(to, subject, body, sender=settings.MAIL_FROM, message_id=message_id)
        status, error = MailDelivery.Status.SENT, ""
    except MailDeliveryError as exc:
        logger.warning("Mail %s to %s failed: %s", reference, to, exc)
        server_id, status, error = "", MailDelivery.Status.FAILED, str(exc)[:300]
    return MailDelivery.objects.create(
        to=to,
        subject=subject[:250],
        body=body,
        reference=reference[:120],
        adapter=getattr(gateway, "name", "?")[:20],
        status=status,
        message_id=(server_id or message_id)[:250] if status == MailDelivery.Status.SENT else "",
        error=error,
        created_by=_actor(actor)[:150],
    )
