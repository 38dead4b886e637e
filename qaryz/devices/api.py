"""Mobile API of the devices room (R-MOB-1, R-AUTH-6), mounted under /api/v1/devices/.

GET  version?platform=&version=       update available / mandatory (public)
POST token                            refresh: {"refresh_token"} + DPoP proof -> a new pair
POST bind                             an unbound token + DPoP proof (with ath) -> a bound pair
GET  current                          this device (bound tokens)
PUT  current                          {"name", "push_token"}
POST current/integrity/nonce          a one-off nonce for Play Integrity / App Attest
POST current/integrity                the signals and the attestation token -> the verdict
GET  security                         sessions, devices and recent sign-ins (the security page)
POST sessions/{session_id}/revoke     end a session or token
POST {device_id}/revoke               end a device's binding (all its tokens)
Refusals carry a stable ``error`` code (proof_required, proof_wrong_key, proof_replayed,
refresh_reused, update_required, device_integrity, …) and a message in the request's language.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from qaryz.access.api_auth import ClientBearer
from qaryz.access.models import ClientSession
from qaryz.core.api_errors import not_found
from qaryz.devices import selectors, services
from qaryz.devices.errors import DeviceRefused
from qaryz.devices.models import Device
from qaryz.devices.versions import VersionError

router = Router(tags=["devices"])
# A registered client finishing the registration manages its device too.
_BEARER = ClientBearer(allow_unconfirmed=True)


class VersionOut(Schema):
    platform: str
    version: str
    min_supported: str
    latest: str
    update_available: bool
    update_required: bool
    store_url: str
    message: str


class RefreshIn(Schema):
    refresh_token: str = Field(..., max_length=200)


class TokenPairOut(Schema):
    access_token: str
    token_type: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    device_id: str
    status: str


class BindIn(Schema):
    name: str = Field("", max_length=100)


class DeviceIn(Schema):
    name: str | None = Field(None, max_length=100)
    push_token: str | None = Field(None, max_length=400, description="FCM / APNs token of this app instance")


class DeviceOut(Schema):
    id: str
    name: str
    platform: str
    app_version: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    last_ip: str | None
    integrity_status: str
    integrity_label: str
    integrity_reasons: list[str]
    current: bool = False
    last_location: str | None = Field(None, description="lat,lon of the last money operation (rounded)")


class NonceOut(Schema):
    nonce: str
    expires_in: int


class IntegrityIn(Schema):
    rooted: bool = Field(False, description="root (Android) or jailbreak (iOS) detected")
    hooking: bool = Field(False, description="a hooking framework (Frida, Xposed, Substrate) detected")
    emulator: bool = False
    remote_control: bool = Field(False, description="a remote-control / accessibility-service app is active")
    screen_sharing: bool = Field(False, description="the screen is being shared or recorded")
    attestation_token: str = Field("", max_length=8000, description="Play Integrity / App Attest token")
    nonce: str = Field("", max_length=64, description="from POST current/integrity/nonce")


class IntegrityOut(Schema):
    status: str
    label: str
    reasons: list[str]
    blocked: bool
    message: str


class SessionOut(Schema):
    id: int
    kind: str
    device: str
    ip: str | None
    created_at: dt.datetime
    last_seen_at: dt.datetime
    ended_at: dt.datetime | None = None
    bound_device: str | None = None
    current: bool = False


class SecurityOut(Schema):
    sessions: list[SessionOut]
    devices: list[DeviceOut]
    recent_logins: list[SessionOut]


class DoneOut(Schema):
    status: str


def _location_text(device: Device) -> str | None:
    place = selectors.last_location(device)
    if place is None:
        return None
    return f"{place.latitude:.2f},{place.longitude:.2f}"


def _device_out(device: Device, current: Device | None = None) -> dict:
    return {
        "id": device.public_id,
        "name": device.name,
        "platform": device.platform,
        "app_version": device.app_version,
        "created_at": device.created_at,
        "last_seen_at": device.last_seen_at,
        "last_ip": device.last_ip,
        "integrity_status": device.integrity_status,
        "integrity_label": str(device.get_integrity_status_display()),
        "integrity_reasons": list(device.integrity_reasons or []),
        "current": current is not None and current.pk == device.pk,
        "last_location": _location_text(device),
    }


def session_label(session: ClientSession) -> str:
    from qaryz.access.services import _device_label

    binding = getattr(session, "device_binding", None)
    if binding is not None:
        return binding.device.name or _("Qaryz app")
    if session.kind == ClientSession.Kind.API:
        return session.device_id or _("app or server (unbound token)")
    label = _device_label(session.user_agent)  # "Chrome, Android" or the bare word "browser"
    return label.replace("browser", _("web browser"), 1) if label.startswith("browser") else label


def _session_out(session: ClientSession, current: ClientSession | None) -> dict:
    binding = getattr(session, "device_binding", None)
    return {
        "id": session.pk,
        "kind": session.kind,
        "device": session_label(session),
        "ip": session.ip,
        "created_at": session.created_at,
        "last_seen_at": session.last_seen_at,
        "ended_at": session.ended_at,
        "bound_device": binding.device.public_id if binding is not None else None,
        "current": current is not None and current.pk == session.pk,
    }


def _bound(request: HttpRequest) -> Device:
    device = getattr(request, "device", None)
    if device is None:
        raise HttpError(400, _("This token is not bound to a device: sign in with a device key first."))
    return device


@router.get("/version", response=VersionOut, auth=None, summary="Is an update available, is it mandatory")
def version(request: HttpRequest, platform: str = "", version: str = "") -> dict:
    platform = (platform or request.headers.get(services.PLATFORM_HEADER, "")).strip().lower()
    version = (version or request.headers.get(services.VERSION_HEADER, "")).strip()
    try:
        verdict = services.version_verdict(platform, version)
    except VersionError:
        raise HttpError(422, _("Give the platform (android or ios) and a version such as 1.4.2.")) from None
    if verdict.update_required:
        message = services.update_required_error().message
    elif verdict.update_available:
        message = _("A new version of the app is available.")
    else:
        message = _("The app is up to date.")
    return {
        **verdict.__dict__,
        "store_url": settings.APP_STORE_URLS.get(verdict.platform, ""),
        "message": message,
    }


@router.post("/token", response=TokenPairOut, auth=None, summary="Renew a bound token (refresh rotation)")
def token(request: HttpRequest, payload: RefreshIn) -> dict:
    """Each refresh token works once; the DPoP proof (no ``ath``) must be of the device's key.
    Reusing an already exchanged refresh token ends the whole family (every token of that
    sign-in), except the previous one within a few seconds when the answer was lost."""
    return services.refresh(request, payload.refresh_token)


@router.post("/bind", response=TokenPairOut, auth=_BEARER, summary="Bind this sign-in to a device key")
def bind(request: HttpRequest, payload: BindIn) -> dict:
    """For an app signed in with an unbound token: send ``DPoP`` (the new key's proof, with the
    hash of the current token as ``ath``). The unbound token ends; use the bound pair."""
    token = request.headers.get("Authorization", "").partition(" ")[2].strip()
    return services.bind_current_session(request.client_session, request, token, name=payload.name)


@router.get("/current", response=DeviceOut, auth=_BEARER, summary="This device")
def current(request: HttpRequest) -> dict:
    device = _bound(request)
    return _device_out(device, device)


@router.put("/current", response=DeviceOut, auth=_BEARER, summary="Name this device, give its push token")
def update_current(request: HttpRequest, payload: DeviceIn) -> dict:
    device = services.update_device(_bound(request), name=payload.name, push_token=payload.push_token)
    return _device_out(device, device)


@router.post("/current/integrity/nonce", response=NonceOut, auth=_BEARER, summary="Nonce for attestation")
def integrity_nonce(request: HttpRequest) -> dict:
    return {"nonce": services.issue_nonce(_bound(request)), "expires_in": 600}


@router.post("/current/integrity", response=IntegrityOut, auth=_BEARER, summary="Report integrity signals")
def integrity(request: HttpRequest, payload: IntegrityIn) -> dict:
    """Any signal true, or an attestation that is missing, not ours, for another nonce or device,
    or failing, blocks microcredits and payments on this device until a clean report."""
    device = _bound(request)
    signals = {name: getattr(payload, name) for name in services.SIGNALS}
    services.report_integrity(
        device,
        signals=signals,
        attestation_token=payload.attestation_token,
        nonce=payload.nonce,
        request=request,
    )
    state = selectors.integrity_state(device)
    return {
        "status": state.status,
        "label": str(device.get_integrity_status_display()),
        "reasons": list(state.reasons),
        "blocked": state.blocked,
        "message": _("Microcredits and payments are blocked on this device.")
        if state.blocked
        else _("No security risk found on this device."),
    }


@router.get("/security", response=SecurityOut, auth=_BEARER, summary="Sessions, devices, recent sign-ins")
def security(request: HttpRequest) -> dict:
    client, session = request.auth, request.client_session
    device = getattr(request, "device", None)
    return {
        "sessions": [_session_out(s, session) for s in selectors.active_sessions(client)],
        "devices": [_device_out(d, device) for d in selectors.active_devices(client)],
        "recent_logins": [_session_out(s, session) for s in selectors.recent_logins(client)],
    }


@router.post("/sessions/{session_id}/revoke", response=DoneOut, auth=_BEARER, summary="End a session")
def revoke_session(request: HttpRequest, session_id: int) -> dict:
    if not services.revoke_session(request.auth, session_id, request=request):
        raise not_found()
    return {"status": "ok"}


@router.post("/{device_id}/revoke", response=DoneOut, auth=_BEARER, summary="Unbind a device")
def revoke_device(request: HttpRequest, device_id: str) -> dict:
    if not services.revoke_device(request.auth, device_id, request=request):
        raise not_found()
    return {"status": "ok"}


__all__ = ["router", "DeviceRefused"]
