"""Money in tenge (KZT): ``Decimal`` with two places, never ``float``.

Rounding rule (documented in docs/core.md): calculations keep full ``Decimal`` precision and
round **once**, to the tiyn (0.01), with ROUND_HALF_UP, at the points where an amount becomes a
money figure that is shown, stored or moved – :func:`to_money` / :func:`round_money`. Splitting an
amount (:func:`allocate`) never loses or creates a tiyn. A ``float`` anywhere in a money path is a
programming error and raises ``TypeError``.

Pure module: no Django import.
"""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

TIYN = Decimal("0.01")
CURRENCY = "KZT"
SYMBOL = "₸"
# Largest amount the platform handles (DecimalField(max_digits=16, decimal_places=2)).
MAX_AMOUNT = Decimal("99999999999999.99")

MoneyInput = Decimal | int | str


class MoneyError(ValueError):
    """User input that is not an amount of money; ``code`` names the reason for the message catalogue."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _reject_float(value: object) -> None:
    if isinstance(value, float | bool) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"money must be Decimal, int or str, not {type(value).__name__}")


def round_money(value: Decimal) -> Decimal:
    """Round a computed Decimal to the tiyn, half up (1.005 → 1.01, -1.005 → -1.01)."""
    _reject_float(value)
    if not isinstance(value, Decimal):
        raise TypeError("round_money takes a Decimal")
    if not value.is_finite():
        raise MoneyError("invalid")
    return value.quantize(TIYN, rounding=ROUND_HALF_UP)


def to_money(value: MoneyInput) -> Decimal:
    """A Decimal with two places from a Decimal, int or canonical string (``"1000.50"``)."""
    _reject_float(value)
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise MoneyError("invalid") from None
    return round_money(amount)


_SPACE = re.compile(r"[\s\u00a0\u202f']+")
_CURRENCY_MARKS = re.compile(r"(₸|kzt|тг\.?|тенге|теңге)", re.IGNORECASE)


def parse_money(text: str, *, allow_negative: bool = False) -> Decimal:
    """Parse an amount typed by a person: ``"1 000,50"``, ``"1000.5"``, ``"1,000.50 ₸"``.

    A lone comma is the decimal separator (ru/kk habit) unless it is followed by exactly three
    digits, which is ambiguous ("1,000" – one thousand or one?) and refused. More than two
    decimal places are refused rather than silently rounded.
    """
    if not isinstance(text, str):
        _reject_float(text)
        raise TypeError("parse_money takes the text a person typed")
    cleaned = _SPACE.sub("", _CURRENCY_MARKS.sub("", text.strip()))
    negative = cleaned.startswith("-")
    if negative:
        cleaned = cleaned[1:]
    if not cleaned or not re.fullmatch(r"[0-9.,]+", cleaned):
        raise MoneyError("invalid")
    has_comma, has_dot = "," in cleaned, "." in cleaned
    if has_comma and has_dot:
        decimal_sep = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        thousands_sep = "." if decimal_sep == "," else ","
        cleaned = cleaned.replace(thousands_sep, "")
    elif has_comma:
        if cleaned.count(",") > 1:
            cleaned = cleaned.replace(",", "")  # 1,000,000 – thousands only
            decimal_sep = "."
        else:
            if len(cleaned.split(",")[1]) == 3:
                raise MoneyError("ambiguous")
            decimal_sep = ","
    else:
        decimal_sep = "."
        if cleaned.count(".") > 1:
            raise MoneyError("invalid")
    if cleaned.count(decimal_sep) > 1:
        raise MoneyError("invalid")
    integer, _, fraction = cleaned.partition(decimal_sep)
    if not integer or not integer.isdigit() or (fraction and not fraction.isdigit()):
        raise MoneyError("invalid")
    if len(fraction) > 2:
        raise MoneyError("precision")
    amount = Decimal(f"{integer}.{fraction or '0'}")
    if negative:
        if not allow_negative:
            raise MoneyError("negative")
        amount = -amount
    if abs(amount) > MAX_AMOUNT:
        raise MoneyError("too_large")
    return amount.quantize(TIYN)


def format_money(amount: Decimal, language: str = "ru", *, symbol: bool = True) -> str:
    """Display form: ru/kk ``1 000,50 ₸`` (non-breaking spaces), en ``KZT 1,000.50``."""
    _reject_float(amount)
    value = to_money(amount)
    sign = "-" if value < 0 else ""
    integer, fraction = f"{abs(value):.2f}".split(".")
    lang = (language or "ru").split("-")[0].lower()
    if lang == "en":
        grouped = f"{int(integer):,}"
        text = f"{sign}{grouped}.{fraction}"
        return f"{CURRENCY} {text}" if symbol else text
    grouped = f"{int(integer):,}".replace(",", "\u00a0")
    text = f"{sign}{grouped},{fraction}"
    return f"{text}\u00a0{SYMBOL}" if symbol else text


def allocate(total: Decimal, parts: int) -> list[Decimal]:
    """Split ``total`` into ``parts`` amounts that differ by at most a tiyn and sum exactly to it.

    Earlier parts take the extra tiyns (e.g. 100.00 / 3 → 33.34, 33.33, 33.33).
    """
    amount = to_money(total)
    if parts < 1:
        raise ValueError("parts must be positive")
    sign = -1 if amount < 0 else 1
    base = (abs(amount) / parts).quantize(TIYN, rounding=ROUND_DOWN)
    remainder = int((abs(amount) - base * parts) / TIYN)
    return [sign * (base + (TIYN if i < remainder else 0)) for i in range(parts)]


def percent_of(amount: Decimal, rate_percent: Decimal) -> Decimal:
    """``rate_percent`` % of ``amount``, rounded once to the tiyn (e.g. a fee)."""
    _reject_float(amount)
    _reject_float(rate_percent)
    return round_money(Decimal(amount) * Decimal(rate_percent) / Decimal(100))
