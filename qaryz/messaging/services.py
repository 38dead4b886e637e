"""Sending SMS and notifying clients (R-AUTH-6). Other rooms call only these two functions."""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.module_loading import import_string

from qaryz.messaging.models import Notification, SmsDelivery
from qaryz.messaging.ports import PushDeliveryError, PushService, SmsDeliveryError, SmsGateway

logger = logging.getLogger("qaryz.messaging")

# Purposes whose text carries a secret: the delivery log keeps the text with digits masked.
SECRET_PURPOSES = ("otp", "code")


def gateway() -> SmsGateway:
    return import_string(settings.SMS_GATEWAY)()


def _mask(text: str, purpose: str) -> str:
    if any(word in purpose for word in SECRET_PURPOSES):
        return re.sub(r"\d{4,}", lambda m: "•" * len(m.group()), text)
    return text


def send_sms(phone: str, text: str, *, purpose: str) -> SmsDelivery:
    """Send one SMS through the configured gateway and log the delivery (secrets masked).

    Failures are logged and recorded, not raised: a notification must never break the flow
    that triggered it. Callers that need delivery (one-time codes) check ``status``.
    """
    gw = gateway()
    try:
        provider_id = gw.send(phone, text, purpose=purpose)
        status, error = SmsDelivery.Status.SENT, ""
    except SmsDeliveryError as exc:
        logger.warning("SMS to …%s (%s) failed: %s", phone[-4:], purpose, exc)
        provider_id, status, error = "", SmsDelivery.Status.FAILED, str(exc)[:300]
    return SmsDelivery.objects.create(
        phone=phone,
        purpose=purpose,
        text_masked=_mask(text, purpose),
        adapter=getattr(gw, "name", "?"),
        status=status,
        provider_id=provider_id,
        error=error,
    )


def notify_client(
    client, subject: str, body: str, *, sms: bool = True, phone: str | None = None, kind: str = "notice"
) -> Notification:
    """In-cabinet message plus an SMS to the registered phone (or ``phone``, e.g. the old number)
    and a push to the client's bound app instances (after commit)."""
    with transaction.atomic():
        note = Notification.objects.create(client=client, subject=subject[:200], body=body)
    if sms:
        send_sms(phone or client.phone, f"{subject}. {body}", purpose="notification")
    if phone is None:  # a copy to another number (the old one after a change) is not pushed again
        push_after_commit(client, subject, body, kind=kind)
    return note


def push_service() -> PushService:
    return import_string(settings.PUSH_SERVICE)()


def send_push(client, title: str, body: str, *, kind: str = "notice") -> int:
    """Push ``title``/``body`` (already in the client's language) to every bound, not revoked
    app instance with a push token; returns how many the service accepted. Failures are logged,
    never raised (a push must not break the flow that caused it)."""
    from qaryz.devices.selectors import push_tokens

    service, sent = push_service(), 0
    for token in push_tokens(client):
        try:
            service.send(token, title[:200], body, data={"kind": kind})
            sent += 1
        except PushDeliveryError as exc:
            logger.warning("Push to …%s (%s) failed: %s", token[-6:], kind, exc)
    return sent


def push_after_commit(client, title: str, body: str, *, kind: str = "notice") -> None:
    transaction.on_commit(lambda: send_push(client, title, body, kind=kind), robust=True)


def mark_read(client, notification_id: int) -> None:
    from django.utils import timezone

    Notification.objects.filter(client=client, pk=notification_id, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def in_language(client, func, *args, **kwargs):
    """Render a message in the client's preferred language."""
    with translation.override(getattr(client, "preferred_language", None) or settings.LANGUAGE_CODE):
        return func(*args, **kwargs)
