"""Template helpers of the workbench: masked personal data with a reveal form."""

from __future__ import annotations

from typing import Any

from django import template

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
