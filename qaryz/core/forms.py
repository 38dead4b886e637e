"""Django form fields and validators around the pure core kit, for every room's forms (R-SRV-1).

The pure modules raise errors with a ``code``; this module is the one place that turns the codes
into ru/kk/en messages (catalogue: ``qaryz/core/locale``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrPromise

from qaryz.core import identifiers, money

IDENTIFIER_MESSAGES: dict[tuple[str, str], StrPromise] = {
    ("iin", "format"): _("An IIN is exactly 12 digits."),
    ("iin", "century"): _("This is not a valid IIN: the 7th digit must be from 1 to 6."),
    ("iin", "date"): _("This is not a valid IIN: the first six digits are not a date of birth."),
    ("iin", "checksum"): _(
        "This is not a valid IIN: the check digit does not match. Please check for typos."
    ),
    ("bin", "format"): _("A BIN is exactly 12 digits."),
    ("bin", "date"): _("This is not a valid BIN: digits 3–4 must be a month."),
    ("bin", "entity_type"): _("This is not a valid BIN: the 5th digit must be 4, 5 or 6."),
    ("bin", "office_type"): _("This is not a valid BIN: the 6th digit must be from 0 to 3."),
    ("bin", "checksum"): _(
        "This is not a valid BIN: the check digit does not match. Please check for typos."
    ),
    ("iban", "country"): _("Enter an account of a bank in Kazakhstan: the IBAN starts with KZ."),
    ("iban", "format"): _("A Kazakh IBAN has 20 characters: KZ, two digits and 16 letters or digits."),
    ("iban", "checksum"): _("This IBAN is not valid: its check digits do not match. Please check for typos."),
    ("card", "format"): _("A card number has 13 to 19 digits."),
    ("card", "checksum"): _("This card number is not valid. Please check for typos."),
    ("phone", "format"): _("Enter a mobile number such as +7 701 234 56 78."),
    ("phone", "not_kz"): _("Enter a mobile number of a Kazakh operator (+7 7XX …)."),
    ("phone", "not_mobile"): _("This is not a mobile number: enter a number such as +7 701 234 56 78."),
}

MONEY_MESSAGES: dict[str, StrPromise] = {
    "invalid": _("Enter an amount in tenge, for example 150 000 or 1 000,50."),
    "ambiguous": _("Write the amount without a comma between thousands, for example 1 000 or 1000,00."),
    "precision": _("An amount has at most two digits after the decimal separator (tiyn)."),
    "negative": _("The amount cannot be negative."),
    "too_large": _("The amount is too large."),
    "min_value": _("The amount must be at least %(limit)s."),
    "max_value": _("The amount must not exceed %(limit)s."),
}


def identifier_message(error: identifiers.IdentifierError) -> StrPromise | str:
    return IDENTIFIER_MESSAGES.get((error.kind, error.code), str(error))


def _raise(error: identifiers.IdentifierError) -> None:
    raise ValidationError(identifier_message(error), code=f"{error.kind}_{error.code}")


# --- validators (usable on model fields too) ----------------------------------------------
def validate_iin(value: str) -> None:
    try:
        identifiers.parse_iin(value)
    except identifiers.IdentifierError as exc:
        _raise(exc)


def validate_bin(value: str) -> None:
    try:
        identifiers.parse_bin(value)
    except identifiers.IdentifierError as exc:
        _raise(exc)


def validate_kz_iban(value: str) -> None:
    try:
        identifiers.parse_kz_iban(value)
    except identifiers.IdentifierError as exc:
        _raise(exc)


def validate_kz_mobile(value: str) -> None:
    try:
        identifiers.normalise_kz_mobile(value)
    except identifiers.IdentifierError as exc:
        _raise(exc)


# --- form fields: clean() returns the normalised value -------------------------------------
class _IdentifierField(forms.CharField):
    max_length_default = 32

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", self.max_length_default)
        super().__init__(**kwargs)

    def normalise(self, value: str) -> str:
        raise NotImplementedError

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        if text is None or text in self.empty_values:
            return ""
        try:
            return self.normalise(text)
        except identifiers.IdentifierError as exc:
            _raise(exc)
            raise AssertionError("unreachable") from exc


class IINField(_IdentifierField):
    """12-digit IIN with its check digit; cleans to the bare digits."""

    widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9 ]*"})

    def normalise(self, value: str) -> str:
        return identifiers.parse_iin(value).value


class BINField(_IdentifierField):
    widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "pattern": "[0-9 ]*"})

    def normalise(self, value: str) -> str:
        return identifiers.parse_bin(value).value


class IBANField(_IdentifierField):
    """A Kazakh IBAN; cleans to the compact upper-case form (KZ86125KZT5004100100)."""

    max_length_default = 40

    def normalise(self, value: str) -> str:
        return identifiers.parse_kz_iban(value).value


class CardNumberField(_IdentifierField):
    widget = forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "cc-number"})

    def normalise(self, value: str) -> str:
        return identifiers.normalise_card_number(value)


class PhoneField(_IdentifierField):
    """A Kazakh mobile number; cleans to E.164 (+77XXXXXXXXX)."""

    widget = forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"})

    def normalise(self, value: str) -> str:
        return identifiers.normalise_kz_mobile(value)


class MoneyField(forms.Field):
    """An amount in tenge typed as people type it ("1 000,50"); cleans to a two-place Decimal."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def __init__(
        self,
        *,
        min_value: Decimal | None = None,
        max_value: Decimal | None = None,
        allow_negative: bool = False,
        **kwargs: Any,
    ) -> None:
        self.min_value = min_value
        self.max_value = max_value
        self.allow_negative = allow_negative
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Decimal | None:
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return money.to_money(value)
        try:
            return money.parse_money(str(value), allow_negative=self.allow_negative)
        except money.MoneyError as exc:
            raise ValidationError(MONEY_MESSAGES[exc.code], code=f"money_{exc.code}") from None

    def validate(self, value: Decimal | None) -> None:
        super().validate(value)
        if value is None:
            return
        if self.min_value is not None and value < self.min_value:
            raise ValidationError(
                MONEY_MESSAGES["min_value"],
                code="money_min_value",
                params={"limit": money.format_money(self.min_value, _current_language())},
            )
        if self.max_value is not None and value > self.max_value:
            raise ValidationError(
                MONEY_MESSAGES["max_value"],
                code="money_max_value",
                params={"limit": money.format_money(self.max_value, _current_language())},
            )

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Decimal):
            return money.format_money(value, _current_language(), symbol=False)
        return value


def _current_language() -> str:
    from django.utils.translation import get_language

    return get_language() or "ru"
