"""Errors the API's routers share, worded for the client in the request's language: the app shows
``detail``; the body's ``error`` stays the stable code it acts on (``qaryz.api.api``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja.errors import HttpError


def not_found() -> HttpError:
    """None at all or another client's: one answer, so that ids tell nothing (R-SRV-1)."""
    return HttpError(404, _("Not found."))


# pydantic's checks of a request body, worded for the client (the app shows them beside the field
# that ``loc`` names); an unknown type keeps pydantic's own English text
_BY_TYPE: dict[str, str] = {
    "missing": gettext_noop("This field is required."),
    "string_type": gettext_noop("Enter text."),
    "string_too_short": gettext_noop("Enter at least %(min_length)s characters."),
    "string_too_long": gettext_noop("Enter at most %(max_length)s characters."),
    "string_pattern_mismatch": gettext_noop("The value has the wrong format."),
    "int_parsing": gettext_noop("Enter a whole number."),
    "int_type": gettext_noop("Enter a whole number."),
    "int_from_float": gettext_noop("Enter a whole number."),
    "decimal_parsing": gettext_noop("Enter a number."),
    "decimal_type": gettext_noop("Enter a number."),
    "float_parsing": gettext_noop("Enter a number."),
    "decimal_max_digits": gettext_noop("Enter at most %(max_digits)s digits."),
    "decimal_max_places": gettext_noop("Enter at most %(decimal_places)s digits after the point."),
    "greater_than": gettext_noop("Enter a number greater than %(gt)s."),
    "greater_than_equal": gettext_noop("Enter a number not less than %(ge)s."),
    "less_than": gettext_noop("Enter a number less than %(lt)s."),
    "less_than_equal": gettext_noop("Enter a number not greater than %(le)s."),
    "literal_error": gettext_noop("Choose one of: %(expected)s."),
    "enum": gettext_noop("Choose one of: %(expected)s."),
    "bool_parsing": gettext_noop("Enter true or false."),
    "bool_type": gettext_noop("Enter true or false."),
    "date_parsing": gettext_noop("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": gettext_noop("Enter a date as YYYY-MM-DD."),
    "uuid_parsing": gettext_noop("Enter a valid identifier."),
    "json_invalid": gettext_noop("The request body is not valid JSON."),
    "too_short": gettext_noop("Enter at least %(min_length)s items."),
    "too_long": gettext_noop("Enter at most %(max_length)s items."),
}


def validation_message(error: dict[str, Any]) -> str:
    """One pydantic error of a request body in the request's language."""
    text = _BY_TYPE.get(str(error.get("type", "")))
    if text is None:
        return str(error.get("msg", ""))
    context = {k: str(v) for k, v in (error.get("ctx") or {}).items()}
    try:
        return _(text) % context
    except KeyError:  # a limit pydantic did not give: its own sentence, which names it
        return str(error.get("msg", ""))
