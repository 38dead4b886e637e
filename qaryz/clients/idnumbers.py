"""IIN/BIN check digits, Kazakh mobile numbers and card numbers for the clients room.

Thin wrappers over ``qaryz.core.identifiers`` (the project's one implementation) with the
boolean / optional shapes the clients and access rooms use. Pure: no Django import.
"""

from __future__ import annotations

from qaryz.core.identifiers import (
    IdentifierError,
    check_digit,
    is_valid_bin,
    is_valid_iin,
    luhn_ok,
    normalise_kz_mobile,
)

__all__ = [
    "check_digit",
    "complete",
    "luhn_valid",
    "normalize_kz_mobile",
    "valid_12",
    "valid_bin",
    "valid_iin",
]


def valid_12(number: str) -> bool:
    """12 ASCII digits whose last one is the check digit of the first 11."""
    if len(number) != 12 or not number.isascii() or not number.isdigit():
        return False
    return check_digit(number[:11]) == int(number[11])


def valid_iin(number: str) -> bool:
    return is_valid_iin(number)


def valid_bin(number: str) -> bool:
    return is_valid_bin(number)


def complete(first11: str) -> str | None:
    """First 11 digits plus their check digit (demo data, tests)."""
    digit = check_digit(first11)
    return None if digit is None else first11 + str(digit)


def normalize_kz_mobile(raw: str) -> str | None:
    """+77XXXXXXXXX for a Kazakh mobile number (landlines and foreign numbers refused), or None."""
    try:
        return normalise_kz_mobile(raw or "")
    except IdentifierError:
        return None


def luhn_valid(number: str) -> bool:
    return number.isascii() and number.isdigit() and 13 <= len(number) <= 19 and luhn_ok(number)
