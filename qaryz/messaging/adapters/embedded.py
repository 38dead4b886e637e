"""Embedded SMS gateway: a simulated phone network for the demo and tests.

Every message lands in a database table (shown to staff on the demo outbox page, read by the
end-to-end test) and is appended to ``DATA_DIR/sms-outbox.log`` so a demo operator can
``tail -f`` it (staff login codes arrive there too).
"""

from __future__ import annotations

import fcntl
from pathlib import Path

from django.conf import settings
from django.utils import timezone


class EmbeddedSmsGateway:
    name = "embedded"

    def send(self, phone: str, text: str, *, purpose: str) -> str:
        from qaryz.messaging.models import EmbeddedSms

        message = EmbeddedSms.objects.create(phone=phone, text=text, purpose=purpose)
        path = Path(settings.SMS_OUTBOX_FILE)
        path.parent.mkdir(parents=True, exist_ok=True)
        line = f"{timezone.now().isoformat(timespec='seconds')}\t{phone}\t{purpose}\t{text}\n"
        with path.open("a", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)  # parallel workers append whole lines
            fh.write(line)
        return f"embedded-{message.pk}"


class EmbeddedPushService:
    """Embedded push service: every message is kept per device token (the demo's phones, the tests)."""

    name = "embedded"

    def send(self, device_token: str, title: str, body: str, *, data: dict[str, str]) -> str:
        from qaryz.messaging.models import EmbeddedPush

        message = EmbeddedPush.objects.create(
            device_token=device_token, title=title[:200], body=body, data=data
        )
        return f"embedded-push-{message.pk}"
