"""View guards: ``client_required`` for the cabinet, ``staff_required(perm)`` for the back office."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from qaryz.access.models import ClientSession
from qaryz.access.services import staff_session_valid, web_session
from qaryz.clients.models import Client
from qaryz.core.middleware import error_response

View = Callable[..., HttpResponse]
# Paths a recovery-scope session (SMS code passed, password not yet reset) may open.
RECOVERY_PATHS = ("/biometrics/", "/password/recover/")


def client_required(view: View | None = None, *, allow_unconfirmed: bool = False) -> Any:
    """Sets ``request.client`` and ``request.client_session``; otherwise redirects to the login page.

    Unconfirmed clients (status REGISTERED) are sent to finish registration unless the view is
    marked ``allow_unconfirmed=True`` (R-ONB-8: until confirmed they can do nothing else).
    """

    def decorate(func: View) -> View:
        @wraps(func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            session = web_session(request)
            if session is None:
                return redirect(f"{settings.LOGIN_URL}?{urlencode({'next': request.get_full_path()})}")
            if session.scope == ClientSession.Scope.RECOVERY and not request.path.startswith(RECOVERY_PATHS):
                return redirect("access:recover-password")
            request.client = session.client  # type: ignore[attr-defined]
            request.client_session = session  # type: ignore[attr-defined]
            if (
                session.scope == ClientSession.Scope.FULL
                and session.client.status != Client.Status.CONFIRMED
                and not allow_unconfirmed
            ):
                return redirect("access:finish-registration")
            return func(request, *args, **kwargs)

        wrapper.client_required = True  # type: ignore[attr-defined]
        return wrapper

    return decorate(view) if view is not None else decorate


def staff_required(perm: str | None = None) -> Callable[[View], View]:
    """Staff with a passed second factor and a live session; ``perm`` (app.codename) if given (R-ACC-1)."""

    def decorate(func: View) -> View:
        @wraps(func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not staff_session_valid(request):
                return redirect(f"/backoffice/login/?{urlencode({'next': request.get_full_path()})}")
            if perm and not request.user.has_perm(perm):
                # A response, not PermissionDenied: the error middleware would turn it into a 500.
                return error_response(request, 403)
            return func(request, *args, **kwargs)

        wrapper.staff_permission = perm or ""  # type: ignore[attr-defined]
        return wrapper

    return decorate
