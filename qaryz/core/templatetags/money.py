"""``{{ value|money }}``: amounts in the reader's language – ru/kk ``1 000,50 ₸``, en ``KZT 1,000.50``;
``{{ value|money:"plain" }}`` without the currency (tables whose heading names it)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.translation import get_language

from qaryz.core.money import format_money

register = template.Library()


@register.filter
def money(value: object, style: str = "") -> str:
    if value is None or value == "":
        return "—"
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)  # not an amount: shown as it is rather than hidden
    return format_money(amount, get_language() or "ru", symbol=style != "plain")
