"""Adapters of the outgoing-mail port (``messaging.ports.MailGateway``).

* ``EmbeddedMailGateway`` – a simulated mail server for the demo and tests: every accepted message
  lands in ``messaging.EmbeddedMail`` (the demo's mailboxes) and is appended to
  ``settings.MAIL_OUTBOX_FILE``; like a real server it refuses addresses of the reserved
  ``.invalid`` top-level domain (RFC 2606) and domains without a dot, so failures can be shown.
* ``SmtpMailGateway`` – Django's e-mail backend (``EMAIL_BACKEND``, by default SMTP with
  ``EMAIL_HOST``/``EMAIL_PORT``/``EMAIL_HOST_USER``/``EMAIL_HOST_PASSWORD``/``EMAIL_USE_TLS``).
"""

from __future__ import annotations

import fcntl
import smtplib
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone

from qaryz.messaging.ports import MailDeliveryError


class EmbeddedMailGateway:
    name = "embedded"

    def send(self, to: str, subject: str, body: str, *, sender: str, message_id: str) -> str:
        from qaryz.messaging.models import EmbeddedMail

        domain = to.rpartition("@")[2].lower()
        if "." not in domain or domain.endswith(".invalid"):
            raise MailDeliveryError(f"550 5.1.2 no such domain: {domain}")
        EmbeddedMail.objects.create(to=to, sender=sender, subject=subject, body=body, message_id=message_id)
        path = Path(settings.MAIL_OUTBOX_FILE)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)  # parallel workers append whole messages
            fh.write(f"{timezone.now().isoformat(timespec='seconds')}\t{message_id}\t{to}\t{subject}\n")
        return message_id


class SmtpMailGateway:
    name = "smtp"

    def send(self, to: str, subject: str, body: str, *, sender: str, message_id: str) -> str:
        message = EmailMessage(
            subject=subject,
            body=body,
            from_email=sender,
            to=[to],
            headers={"Message-ID": message_id},
            connection=get_connection(timeout=settings.MAIL_TIMEOUT),
        )
        try:
            sent = message.send(fail_silently=False)
        except (smtplib.SMTPException, OSError) as exc:
            raise MailDeliveryError(str(exc)[:300] or exc.__class__.__name__) from exc
        if sent != 1:
            raise MailDeliveryError("the mail server accepted no message")
        return message_id
