"""``{{ tiyn|tiyn_money }}``: a servicing amount (integer tiyn) shown like the ``money`` filter."""

from __future__ import annotations

from django import template

from qaryz.core.templatetags.money import money
from qaryz.servicing.amounts import to_kzt

register = template.Library()


@register.filter
def tiyn_money(value: object, style: str = "") -> str:
    if value is None or value == "":
        return "—"
    try:
        amount = to_kzt(int(value))
    except (TypeError, ValueError):
        return str(value)
    return money(amount, style)


@register.filter
def ppm_percent(value: object) -> str:
    """Parts per million as a percentage (5000 → "0,5" in ru/kk)."""
    from decimal import Decimal

    from django.template.defaultfilters import floatformat

    try:
        return str(floatformat(Decimal(int(value)) / 10_000, "-4"))
    except (TypeError, ValueError):
        return str(value)
