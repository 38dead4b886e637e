"""The security page of the cabinet (R-AUTH-6): active sessions, bound devices, recent sign-ins."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qaryz.access.decorators import client_required
from qaryz.devices import selectors, services
from qaryz.devices.api import session_label


@client_required
def security(request: HttpRequest) -> HttpResponse:
    client, current = request.client, request.client_session  # type: ignore[attr-defined]
    sessions = [
        {"session": s, "label": session_label(s), "current": s.pk == current.pk}
        for s in selectors.active_sessions(client)
    ]
    devices = [{"device": d, "place": selectors.last_location(d)} for d in selectors.active_devices(client)]
    logins = [{"session": s, "label": session_label(s)} for s in selectors.recent_logins(client)]
    return render(
        request, "devices/security.html", {"sessions": sessions, "devices": devices, "logins": logins}
    )


@client_required
@require_POST
def revoke_session(request: HttpRequest, session_id: int) -> HttpResponse:
    client, current = request.client, request.client_session  # type: ignore[attr-defined]
    if session_id == current.pk:  # "sign out" on this very session
        from qaryz.access.services import logout_client

        logout_client(request)
        return redirect("access:login")
    if services.revoke_session(client, session_id, request=request):
        messages.success(request, _("The session is ended."))
    else:
        messages.error(request, _("This session has already ended."))
    return redirect("devices:security")


@client_required
@require_POST
def revoke_device(request: HttpRequest, device_id: str) -> HttpResponse:
    if services.revoke_device(request.client, device_id, request=request):  # type: ignore[attr-defined]
        messages.success(request, _("The device is unbound: the app on it must sign in again."))
    else:
        messages.error(request, _("This device is already unbound."))
    return redirect("devices:security")
