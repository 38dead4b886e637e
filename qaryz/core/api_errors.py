"""Errors the API's routers share, worded for the client in the request's language: the app shows
``detail``; the body's ``error`` stays the stable code it acts on (``qaryz.api.api``)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja.errors import HttpError


def not_found() -> HttpError:
    """None at all or another client's: one answer, so that ids tell nothing (R-SRV-1)."""
    return HttpError(404, _("Not found."))
