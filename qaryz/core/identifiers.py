"""Kazakh identifiers: IIN, BIN, KZ IBAN, payment cards and mobile numbers.

Pure module (no Django import). Every failure raises :class:`IdentifierError` carrying a
``kind`` and a machine ``code``; the Django layer (``qaryz.core.forms``) turns the pair into a
translated message, so the same rules serve forms, the API and imports.

IIN/BIN rules: ``../shared/spec/DOMAIN.md`` (Government Decree No. 406 of 22.05.2007).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

import phonenumbers
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

Sex = Literal["M", "F"]

_WEIGHTS_1 = tuple(range(1, 12))
_WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
_SPACES = re.compile(r"[\s\-\u00a0\u202f]+")


class IdentifierError(ValueError):
    """A value that is not a valid identifier; ``code`` says why (see forms.IDENTIFIER_MESSAGES)."""

    def __init__(self, kind: str, code: str) -> None:
        super().__init__(f"{kind}: {code}")
        self.kind = kind
        self.code = code


def check_digit(first11: str) -> int | None:
    """Check digit of a 12-digit IIN/BIN from its first 11 digits; None when no digit is possible."""
    digits = [int(c) for c in first11]
    if len(digits) != 11:
        raise ValueError("eleven digits expected")
    value = sum(d * w for d, w in zip(digits, _WEIGHTS_1, strict=True)) % 11
    if value == 10:
        value = sum(d * w for d, w in zip(digits, _WEIGHTS_2, strict=True)) % 11
        if value == 10:
            return None
    return value


def _twelve_digits(kind: str, value: str) -> str:
    if not isinstance(value, str):
        raise IdentifierError(kind, "format")
    cleaned = _SPACES.sub("", value)
    if len(cleaned) != 12 or not cleaned.isascii() or not cleaned.isdigit():
        raise IdentifierError(kind, "format")
    return cleaned


def _checksum_ok(number: str) -> bool:
    expected = check_digit(number[:11])
    return expected is not None and expected == int(number[11])


# --- IIN ---------------------------------------------------------------------------------
_CENTURY = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}


@dataclass(frozen=True)
class Iin:
    value: str
    birth_date: date
    sex: Sex
    century: int  # 1800, 1900 or 2000
    serial: str


def parse_iin(value: str) -> Iin:
    """Validate an individual identification number and read what it encodes."""
    number = _twelve_digits("iin", value)
    century_digit = int(number[6])
    if century_digit not in _CENTURY:
        raise IdentifierError("iin", "century")
    century = _CENTURY[century_digit]
    try:
        birth = date(century + int(number[0:2]), int(number[2:4]), int(number[4:6]))
    except ValueError:
        raise IdentifierError("iin", "date") from None
    if not _checksum_ok(number):
        raise IdentifierError("iin", "checksum")
    sex: Sex = "M" if century_digit % 2 == 1 else "F"
    return Iin(value=number, birth_date=birth, sex=sex, century=century, serial=number[7:11])


def is_valid_iin(value: str) -> bool:
    try:
        parse_iin(value)
    except IdentifierError:
        return False
    return True


def build_iin(birth_date: date, sex: Sex, serial: int) -> str:
    """The IIN for a birth date, sex and 4-digit serial (tests and demo data).

    Raises IdentifierError(code="checksum") for the ~1 % of serials that admit no check digit.
    """
    if not 1800 <= birth_date.year <= 2099:
        raise IdentifierError("iin", "century")
    if not 0 <= serial <= 9999:
        raise IdentifierError("iin", "format")
    base = (birth_date.year - 1800) // 100 * 2 + 1  # 1, 3 or 5 for men
    century_digit = base + (0 if sex == "M" else 1)
    first11 = f"{birth_date:%y%m%d}{century_digit}{serial:04d}"
    digit = check_digit(first11)
    if digit is None:
        raise IdentifierError("iin", "checksum")
    return f"{first11}{digit}"


# --- BIN ---------------------------------------------------------------------------------
ENTITY_TYPES = {"4": "resident_legal_entity", "5": "non_resident_legal_entity", "6": "ie_joint"}
OFFICE_TYPES = {"0": "head_office", "1": "branch", "2": "representative_office", "3": "peasant_farm"}


@dataclass(frozen=True)
class Bin:
    value: str
    registered_year: int  # two digits as printed, e.g. 94
    registered_month: int
    entity_type: str  # a key of ENTITY_TYPES' values
    office_type: str
    serial: str


def parse_bin(value: str) -> Bin:
    """Validate a business identification number and read its registration month and types."""
    number = _twelve_digits("bin", value)
    month = int(number[2:4])
    if not 1 <= month <= 12:
        raise IdentifierError("bin", "date")
    if number[4] not in ENTITY_TYPES:
        raise IdentifierError("bin", "entity_type")
    if number[5] not in OFFICE_TYPES:
        raise IdentifierError("bin", "office_type")
    if not _checksum_ok(number):
        raise IdentifierError("bin", "checksum")
    return Bin(
        value=number,
        registered_year=int(number[0:2]),
        registered_month=month,
        entity_type=ENTITY_TYPES[number[4]],
        office_type=OFFICE_TYPES[number[5]],
        serial=number[6:11],
    )


def is_valid_bin(value: str) -> bool:
    try:
        parse_bin(value)
    except IdentifierError:
        return False
    return True


def build_bin(year: int, month: int, entity_digit: str, office_digit: str, serial: int) -> str:
    """A BIN for the given parts (tests and demo data); IdentifierError when no check digit exists."""
    first11 = f"{year % 100:02d}{month:02d}{entity_digit}{office_digit}{serial:05d}"
    digit = check_digit(first11)
    if digit is None:
        raise IdentifierError("bin", "checksum")
    return parse_bin(f"{first11}{digit}").value


# --- IBAN (KZ) ---------------------------------------------------------------------------
KZ_IBAN_LENGTH = 20


@dataclass(frozen=True)
class KzIban:
    value: str  # compact, upper case
    bank_code: str

    @property
    def formatted(self) -> str:
        return " ".join(self.value[i : i + 4] for i in range(0, len(self.value), 4))


def parse_kz_iban(value: str) -> KzIban:
    """A Kazakh IBAN: ``KZ`` + 2 check digits + 3-digit bank code + 13 alphanumerics (ISO 13616)."""
    if not isinstance(value, str):
        raise IdentifierError("iban", "format")
    compact = _SPACES.sub("", value).upper()
    if not compact.startswith("KZ"):
        raise IdentifierError("iban", "country")
    if len(compact) != KZ_IBAN_LENGTH or not compact.isascii() or not compact.isalnum():
        raise IdentifierError("iban", "format")
    try:
        iban = IBAN(compact)
    except SchwiftyException as exc:
        code = "checksum" if "checksum" in type(exc).__name__.lower() else "format"
        raise IdentifierError("iban", code) from None
    return KzIban(value=iban.compact, bank_code=str(iban.bank_code))


# --- Payment cards -------------------------------------------------------------------------
def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        d = int(char)
        if index % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def normalise_card_number(value: str) -> str:
    """Digits of a payment card number (13–19 digits, Luhn-valid)."""
    if not isinstance(value, str):
        raise IdentifierError("card", "format")
    digits = _SPACES.sub("", value)
    if not digits.isascii() or not digits.isdigit() or not 13 <= len(digits) <= 19:
        raise IdentifierError("card", "format")
    if not luhn_ok(digits):
        raise IdentifierError("card", "checksum")
    return digits


def mask_card_number(value: str) -> str:
    """``4400 43** **** 1234``: first six and last four digits, the rest hidden (PCI DSS display)."""
    digits = normalise_card_number(value)
    masked = digits[:6] + "*" * (len(digits) - 10) + digits[-4:]
    return " ".join(masked[i : i + 4] for i in range(0, len(masked), 4))


# --- Mobile numbers ------------------------------------------------------------------------
_KZ_MOBILE = re.compile(r"^\+77\d{9}$")
_MOBILE_TYPES = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalise_kz_mobile(value: str) -> str:
    """A Kazakh mobile number in E.164 (``+77XXXXXXXXX``).

    Accepts ``8 701 234 56 78``, ``+7 (701) 234-56-78``, ``7012345678`` and ``77012345678``;
    refuses landlines (``+7 727 …``) and other countries' numbers (Russia shares ``+7``).
    """
    if not isinstance(value, str):
        raise IdentifierError("phone", "format")
    raw = value.strip()
    plus = raw.startswith("+")
    digits = re.sub(r"[\s\-()\u00a0.]", "", raw.lstrip("+"))
    if not digits.isascii() or not digits.isdigit():
        raise IdentifierError("phone", "format")
    if not plus:
        if len(digits) == 11 and digits[0] == "8":
            digits = "7" + digits[1:]
        elif len(digits) == 10:
            digits = "7" + digits
    if len(digits) != 11 or digits[0] != "7":
        raise IdentifierError("phone", "not_kz" if plus and digits[:1] != "7" else "format")
    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        raise IdentifierError("phone", "format") from None
    if phonenumbers.region_code_for_number(number) != "KZ":
        raise IdentifierError("phone", "not_kz")
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in _MOBILE_TYPES:
        raise IdentifierError("phone", "not_mobile")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not _KZ_MOBILE.match(e164):
        raise IdentifierError("phone", "not_mobile")
    return e164


def format_kz_mobile(e164: str) -> str:
    """``+7 701 234 56 78`` for display."""
    number = normalise_kz_mobile(e164)
    return f"{number[:2]} {number[2:5]} {number[5:8]} {number[8:10]} {number[10:12]}"
