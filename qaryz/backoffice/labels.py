"""Stored codes of other rooms as staff read them: every value here is a translated label, an
unknown code gets a generic translated label (never the code itself)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext


def biometric_row(verification: Any) -> dict:
    from qaryz.biometrics.models import Purpose
    from qaryz.biometrics.services import MESSAGES

    reason = verification.reason
    return {
        "at": verification.created_at,
        "purpose": _label(Purpose, verification.purpose),
        "passed": verification.passed,
        "reason": str(MESSAGES[reason]) if reason in MESSAGES else (_("Other reason") if reason else ""),
        "similarity": verification.similarity_document,
        "threshold": verification.threshold,
        "provider": _("simulator") if verification.provider == "embedded" else _("biometric service"),
    }


def signature_row(verification: Any) -> dict:
    from qaryz.signatures.models import PURPOSES
    from qaryz.signatures.reasons import MESSAGES

    purposes = dict(PURPOSES)
    request = verification.signing_request
    purpose = request.purpose if request else ""
    reason = verification.reason
    return {
        "at": verification.created_at,
        "purpose": str(purposes.get(purpose, _("Other document"))),
        "title": request.title if request else "",
        "accepted": verification.accepted,
        "reason": str(MESSAGES[reason]) if reason in MESSAGES else (_("Other reason") if reason else ""),
        "signer": verification.signer_name,
        "serial": verification.certificate_serial,
    }


def thread_row(thread: Any) -> dict:
    from qaryz.correspondence import deadlines
    from qaryz.correspondence.models import Topic
    from qaryz.correspondence.selectors import state_label

    state = deadlines.state(thread.reply_due, timezone.localdate())
    return {
        "thread": thread,
        "topic": _label(Topic, thread.topic),
        "state": state,
        "state_label": state_label(state),
    }


def _label(choices: Any, value: str) -> str:
    return str(choices(value).label) if value in choices.values else pgettext("backoffice", "Other")
