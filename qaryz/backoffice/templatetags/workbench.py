"""Template helpers of the workbench: masked personal data with a reveal form."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext_lazy as _

from qaryz.backoffice import pii

register = template.Library()


@register.inclusion_tag("backoffice/_pii.html", takes_context=True)
def pii_field(context: Any, client: Any, field: str) -> dict:
    """The masked value of ``field`` and, for staff who may see client data, a small form to
    reveal it with a reason; the full value once after an audited reveal (``pii.reveal``)."""
    request = context.get("request")
    revealed = None
    if request is not None and pii.take_reveal(request.session, client.pk, field):
        revealed = pii.full_value(client, field)
    return {
        "client": client,
        "field": field,
        "label": pii.FIELDS.get(field, ""),
        "masked": pii.masked_value(client, field),
        "revealed": revealed,
        "next": request.get_full_path() if request is not None else "",
        "can_reveal": bool(request and request.user.has_perm("clients.view_client_data")),
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def mask_iin(value: str) -> str:
    return pii.mask_id_number(str(value or ""))


@register.filter
def mask_phone(value: str) -> str:
    return pii.mask_phone(str(value or ""))


_SMS_PURPOSES = {
    "notification": _("Notification"),
    "login": _("Sign-in code"),
    "staff_login": _("Staff sign-in code"),
    "registration": _("Registration code"),
    "recovery": _("Password recovery code"),
    "change_phone": _("Code for a change of phone"),
    "change_bank": _("Code for a change of bank details"),
}


@register.filter
def sms_purpose(value: str) -> str:
    """An SMS outbox purpose (``otp:login``, ``notification``) in words."""
    key = str(value or "").removeprefix("otp:")
    return str(_SMS_PURPOSES.get(key, _("Message")))
