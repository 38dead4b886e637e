"""The Django admin is reachable only through the back-office login with its second factor (R-ACC-2).

Django's own admin login form (password only) is replaced by a redirect to the back office.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.admin import AdminSite
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def guard_admin_site(site: AdminSite) -> None:
    def has_permission(request: HttpRequest) -> bool:
        from qaryz.access.services import staff_session_valid

        return staff_session_valid(request)

    def login(request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        return redirect(f"/backoffice/login/?{urlencode({'next': request.GET.get('next', '/admin/')})}")

    site.has_permission = has_permission  # type: ignore[method-assign]
    site.login = login  # type: ignore[method-assign]
