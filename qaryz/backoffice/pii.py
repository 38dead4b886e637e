"""Personal data on back-office pages (R-ACC-1): IIN/BIN, phone, identity-document number and IBAN
are masked by default; a staff member reveals one field of one client on purpose, giving a reason,
and every reveal is an audit event (``staff.revealed_personal_data``) shown in the audit viewer."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from qaryz.clients.models import Client, mask_document_number
from qaryz.clients.selectors import current_bank_account
from qaryz.records.services import record_event

FIELDS: dict[str, Any] = {
    "id_number": _("IIN / BIN"),
    "phone": _("mobile phone"),
    "document": _("identity document number"),
    "iban": _("bank details"),
    "signer_iin": _("signer's IIN"),
    "signer_document": _("signer's document number"),
}
MIN_REASON = 5
MASK = "•"


class RevealError(ValueError):
    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def mask_id_number(value: str) -> str:
    """12 digits → ``••••••••1234``."""
    value = (value or "").strip()
    return MASK * 8 + value[-4:] if len(value) > 4 else (MASK * 4 if value else "")


def mask_phone(value: str) -> str:
    """``+77011234567`` → ``+7 ••• ••• •• 67``."""
    value = (value or "").strip()
    return f"+7 {MASK * 3} {MASK * 3} {MASK * 2} {value[-2:]}" if len(value) >= 4 else ""


def mask_iban(value: str) -> str:
    value = (value or "").strip()
    return f"{value[:2]}{MASK * 4}{value[-4:]}" if len(value) > 6 else ""


def full_value(client: Client, field: str) -> str:
    signer = getattr(client, "signer", None) if client.kind == Client.Kind.LEGAL_ENTITY else None
    if field == "id_number":
        return client.id_number
    if field == "phone":
        return client.phone
    if field == "document":
        return client.id_doc_number
    if field == "iban":
        account = current_bank_account(client)
        return account.value if account else ""
    if field == "signer_iin":
        return signer.iin if signer else ""
    if field == "signer_document":
        return signer.id_doc_number if signer else ""
    return ""


def masked_value(client: Client, field: str) -> str:
    value = full_value(client, field)
    if field in ("id_number", "signer_iin"):
        return mask_id_number(value)
    if field == "phone":
        return mask_phone(value)
    if field in ("document", "signer_document"):
        return mask_document_number(value)
    if field == "iban":
        account = current_bank_account(client)
        if account is None:
            return ""
        return mask_iban(value) if account.kind == account.Kind.IBAN else account.masked
    return ""


def reveal(client: Client, field: str, reason: str, *, staff: Any, request: HttpRequest | None = None) -> str:
    """The full value of one field, after recording who revealed it and why."""
    reason = " ".join((reason or "").split())
    if field not in FIELDS:
        raise RevealError(_("Unknown field."))
    if len(reason) < MIN_REASON:
        raise RevealError(_("Say why you need to see it (at least %(n)s characters).") % {"n": MIN_REASON})
    value = full_value(client, field)
    if not value:
        raise RevealError(_("There is nothing to show."))
    record_event(
        "staff.revealed_personal_data",
        category="security",
        actor=staff,
        target=client,
        request=request,
        data={"field": field, "reason": reason[:300]},
    )
    return value


SESSION_KEY = "qaryz_revealed"
REVEAL_SECONDS = 120


def remember_reveal(session: Any, client_id: int, field: str) -> None:
    """Let the next rendering of ``field`` of this client show the full value (once, 2 minutes)."""
    import time

    pending = dict(session.get(SESSION_KEY) or {})
    pending[f"{client_id}:{field}"] = time.time() + REVEAL_SECONDS
    session[SESSION_KEY] = pending


def take_reveal(session: Any, client_id: int, field: str) -> bool:
    """True once after ``remember_reveal`` (and not after it expired)."""
    import time

    pending = dict(session.get(SESSION_KEY) or {})
    until = pending.pop(f"{client_id}:{field}", None)
    if until is None:
        return False
    session[SESSION_KEY] = {k: v for k, v in pending.items() if v > time.time()}
    return until > time.time()
