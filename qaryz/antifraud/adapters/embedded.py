"""The embedded NBRK antifraud-centre simulator: keeps every message it received (``SimCentreMessage``)
with its answer, as the centre would on its side.

It validates each message: a known kind, the subject's IIN/BIN with a valid check digit, an event
time, and for a confirmed fraud a case number and a non-negative loss in tiyn. The same key again
returns the stored answer. ``fail_next`` makes the next submit raise (an unreachable centre)."""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction

from qaryz.antifraud.models import SimCentreMessage
from qaryz.antifraud.ports import MESSAGE_KINDS, CentreAck, CentreError, CentreMessage
from qaryz.core.identifiers import is_valid_bin, is_valid_iin


def validate(kind: str, payload: dict) -> str:
    """The reason code for rejecting a message, or "" when it is valid."""
    if kind not in MESSAGE_KINDS:
        return "unknown_kind"
    subject = str(payload.get("subject_id") or "")
    if not (is_valid_iin(subject) or is_valid_bin(subject)):
        return "invalid_subject"
    if not payload.get("occurred_at"):
        return "malformed"
    if kind == "fraud":
        loss = payload.get("loss")
        if not payload.get("case_number") or not isinstance(loss, int) or isinstance(loss, bool) or loss < 0:
            return "malformed"
    return ""


class EmbeddedCentre:
    name = "embedded"
    fail_next = 0  # class-wide: how many next submits fail as "unreachable" (tests, demo)

    def submit(self, message: CentreMessage) -> CentreAck:
        if EmbeddedCentre.fail_next > 0:
            EmbeddedCentre.fail_next -= 1
            raise CentreError("the centre is unreachable (simulated)")
        stored = SimCentreMessage.objects.filter(key=message.key).first()
        if stored is None:
            reason = validate(message.kind, message.payload)
            try:
                with transaction.atomic():
                    stored = SimCentreMessage.objects.create(
                        key=message.key,
                        kind=message.kind,
                        payload=message.payload,
                        accepted=not reason,
                        reason=reason,
                        reference="" if reason else f"AFC-{secrets.token_hex(5).upper()}",
                    )
            except IntegrityError:
                stored = SimCentreMessage.objects.get(key=message.key)
        return CentreAck(stored.key, stored.accepted, stored.reference, stored.reason)

    @staticmethod
    def received(kind: str | None = None) -> list[SimCentreMessage]:
        rows = SimCentreMessage.objects.all()
        return list(rows.filter(kind=kind) if kind else rows)
