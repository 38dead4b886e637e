"""Device binding, token rotation, the money guard, integrity reports and locations (R-MOB-1).

Other rooms call only these functions (and ``selectors``). The API's ``ClientBearer`` calls
``authenticate_bound`` for every bearer token and ``guard_money`` on the lending and money routers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from qaryz.access.models import ClientSession
from qaryz.clients.models import Client
from qaryz.core.request_context import get_request_id
from qaryz.devices import proof as dpop
from qaryz.devices.errors import DeviceRefused
from qaryz.devices.models import (
    AttestationNonce,
    Device,
    DeviceSession,
    IntegrityReport,
    OperationLocation,
    ProofJti,
    RefreshToken,
    TokenFamily,
)
from qaryz.devices.ports import AttestationUnavailable, AttestationVerifier
from qaryz.devices.versions import PLATFORMS, VersionError, evaluate
from qaryz.records.services import record_event as audit

PROOF_HEADER = "DPoP"
PLATFORM_HEADER = "X-App-Platform"
VERSION_HEADER = "X-App-Version"
LOCATION_HEADER = "X-Device-Location"
# Signals the app reports; any of them true blocks lending and money functions.
SIGNALS = ("rooted", "hooking", "emulator", "remote_control", "screen_sharing")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _ip(request: HttpRequest | None) -> str | None:
    return (request.META.get("REMOTE_ADDR") or None) if request is not None else None


def _unauthorized(code: str) -> DeviceRefused:
    return DeviceRefused(401, code, _("The sign-in of this device is not valid any more. Sign in again."))


# --- proofs ---------------------------------------------------------------------------------
def read_proof(request: HttpRequest, *, access_token: str | None) -> dpop.Proof:
    """The request's DPoP proof, checked against it (method, URL, time, token hash) and not seen before."""
    header = request.headers.get(PROOF_HEADER, "")
    if not header:
        raise DeviceRefused(
            401, "proof_required", _("This request must carry the proof of the device key (DPoP header).")
        )
    try:
        proof = dpop.parse(header)
        dpop.check_request(
            proof,
            method=request.method or "",
            url=request.build_absolute_uri(request.path),
            now=int(timezone.now().timestamp()),
            skew=settings.DEVICE_PROOF_SKEW_SECONDS,
            access_token=access_token,
        )
    except dpop.ProofError as exc:
        raise DeviceRefused(
            401,
            "proof_invalid",
            _("The proof of the device key is not valid (%(reason)s).") % {"reason": exc.reason},
        ) from None
    return proof


def remember_proof(proof: dpop.Proof) -> None:
    """Refuse a proof id already used with this key within the window (the replay cache)."""
    now = timezone.now()
    window = dt.timedelta(seconds=2 * settings.DEVICE_PROOF_SKEW_SECONDS + 5)
    ProofJti.objects.filter(seen_at__lt=now - window).delete()
    try:
        with transaction.atomic():
            ProofJti.objects.create(jkt=proof.jkt, jti=proof.jti, seen_at=now)
    except IntegrityError:
        raise DeviceRefused(
            401, "proof_replayed", _("This proof of the device key was already used. Make a new one.")
        ) from None


# --- binding and tokens ---------------------------------------------------------------------
def _platform(request: HttpRequest | None) -> str:
    value = (request.headers.get(PLATFORM_HEADER, "") if request is not None else "").strip().lower()
    return value if value in PLATFORMS else ""


def _version(request: HttpRequest | None) -> str:
    return (request.headers.get(VERSION_HEADER, "") if request is not None else "").strip()[:30]


def bind_device(client: Client, proof: dpop.Proof, *, request: HttpRequest | None, name: str = "") -> Device:
    """The client's device with the proof's key, registered on its first sign-in."""
    now = timezone.now()
    with transaction.atomic():
        device = (
            Device.objects.select_for_update()
            .filter(client=client, jkt=proof.jkt, revoked_at__isnull=True)
            .first()
        )
        created = device is None
        if created:
            device = Device(
                client=client,
                public_id=secrets.token_urlsafe(12),
                jkt=proof.jkt,
                public_jwk=proof.jwk,
                alg=proof.alg,
            )
        device.name = (name or device.name or "")[:100]
        device.platform = _platform(request) or device.platform
        device.app_version = _version(request) or device.app_version
        device.last_seen_at = now
        device.last_ip = _ip(request)
        device.save()
        if created:
            audit(
                "devices.bound",
                category="security",
                actor=client,
                target=client,
                request=request,
                data={"device": device.public_id, "platform": device.platform, "alg": device.alg},
            )
    return device


def _new_refresh(family: TokenFamily, generation: int) -> str:
    token = secrets.token_urlsafe(32)
    RefreshToken.objects.create(
        family=family,
        generation=generation,
        token_hash=_sha(token),
        expires_at=timezone.now() + dt.timedelta(seconds=settings.DEVICE_REFRESH_TOKEN_SECONDS),
    )
    return token


def _issue(
    device: Device, family: TokenFamily, generation: int, *, request: HttpRequest | None, login: bool
) -> dict:
    from qaryz.access.services import issue_api_token

    access, session = issue_api_token(
        device.client, request=request, device_id=device.name or device.public_id, login_event=login
    )
    DeviceSession.objects.create(
        session=session,
        device=device,
        family=family,
        generation=generation,
        expires_at=timezone.now() + dt.timedelta(seconds=settings.DEVICE_ACCESS_TOKEN_SECONDS),
    )
    return {
        "access_token": access,
        "token_type": "DPoP",
        "expires_in": settings.DEVICE_ACCESS_TOKEN_SECONDS,
        "refresh_token": _new_refresh(family, generation),
        "refresh_expires_in": settings.DEVICE_REFRESH_TOKEN_SECONDS,
        "device_id": device.public_id,
        "status": device.client.status,
    }


def sign_in_device(client: Client, request: HttpRequest, *, name: str = "") -> dict:
    """The sign-in answer for a request carrying a proof (no token yet): bind, then a new family."""
    proof = read_proof(request, access_token=None)
    remember_proof(proof)
    device = bind_device(client, proof, request=request, name=name)
    with transaction.atomic():
        family = TokenFamily.objects.create(device=device, generation=1)
        return _issue(device, family, 1, request=request, login=True)


def bind_current_session(session: ClientSession, request: HttpRequest, token: str, *, name: str = "") -> dict:
    """An app signed in before binding: its unbound token is exchanged for a bound pair (once)."""
    if DeviceSession.objects.filter(session=session).exists():
        raise DeviceRefused(400, "already_bound", _("This sign-in is already bound to a device key."))
    if not request.headers.get(PROOF_HEADER):  # the token is valid: a bad request, not a 401
        raise DeviceRefused(400, "proof_required", _("Send the proof of the new device key (DPoP header)."))
    proof = read_proof(request, access_token=token)
    remember_proof(proof)
    device = bind_device(session.client, proof, request=request, name=name)
    from qaryz.access.services import end_session

    with transaction.atomic():
        family = TokenFamily.objects.create(device=device, generation=1)
        answer = _issue(device, family, 1, request=request, login=False)
        end_session(session, "bound")
    return answer


def _revoke_family(family: TokenFamily, reason: str) -> None:
    from qaryz.access.services import end_session

    now = timezone.now()
    TokenFamily.objects.filter(pk=family.pk, revoked_at__isnull=True).update(
        revoked_at=now, revoked_reason=reason
    )
    RefreshToken.objects.filter(family=family, used_at__isnull=True).update(used_at=now)
    for session in ClientSession.objects.filter(device_binding__family=family, ended_at__isnull=True):
        end_session(session, reason)


def refresh(request: HttpRequest, refresh_token: str) -> dict:
    """Rotate: the presented refresh token for a new pair, with a proof of the family's key.

    A token used before revokes the whole family – unless it is the immediately previous
    generation used at most DEVICE_REFRESH_GRACE_SECONDS ago (the answer was lost): then the
    newest generation, never used, is superseded and a fresh pair is issued.
    """
    proof = read_proof(request, access_token=None)
    remember_proof(proof)
    outcome, family, answer = _rotate(request, refresh_token, proof)
    if outcome == "ok":
        return answer
    if outcome in ("reused", "wrong_key"):
        audit(
            f"devices.refresh_{outcome}",
            category="security",
            actor=family.device.client,
            target=family.device.client,
            request=request,
            data={"device": family.device.public_id, "family": family.pk},
        )
    raise _unauthorized(f"refresh_{outcome}")


@transaction.atomic
def _rotate(request: HttpRequest, refresh_token: str, proof: dpop.Proof) -> tuple[str, Any, dict]:
    row = RefreshToken.objects.filter(token_hash=_sha(refresh_token or "")).first()
    if row is None:
        return "invalid", None, {}
    family = TokenFamily.objects.select_for_update().select_related("device__client").get(pk=row.family_id)
    row.refresh_from_db()
    device = family.device
    now = timezone.now()
    if family.revoked_at is not None or device.revoked_at is not None:
        return "revoked", family, {}
    if proof.jkt != device.jkt:  # a stolen refresh token used with another key: end the family
        _revoke_family(family, "refresh_wrong_key")
        return "wrong_key", family, {}
    credential = getattr(device.client, "credential", None)
    changed = getattr(credential, "password_changed_at", None)
    if changed is not None and changed > family.created_at or device.client.status == Client.Status.BLOCKED:
        _revoke_family(family, "password_changed")
        return "revoked", family, {}
    if row.expires_at < now:
        return "expired", family, {}
    grace = dt.timedelta(seconds=settings.DEVICE_REFRESH_GRACE_SECONDS)
    if row.used_at is None and row.generation == family.generation:
        pass  # the normal case
    elif (
        row.used_at is not None
        and row.generation == family.generation - 1
        and now - row.used_at <= grace
        and RefreshToken.objects.filter(
            family=family, generation=family.generation, used_at__isnull=True
        ).exists()
    ):
        # The answer to the previous rotation was lost: supersede what it issued.
        _end_generation(family, family.generation, "superseded")
    else:
        _revoke_family(family, "refresh_reused")
        return "reused", family, {}
    RefreshToken.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now)
    _end_generation(family, row.generation, "rotated")
    family.generation += 1
    family.save(update_fields=["generation"])
    Device.objects.filter(pk=device.pk).update(last_seen_at=now, last_ip=_ip(request))
    return "ok", family, _issue(device, family, family.generation, request=request, login=False)


def _end_generation(family: TokenFamily, generation: int, reason: str) -> None:
    from qaryz.access.services import end_session

    RefreshToken.objects.filter(family=family, generation=generation, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    for session in ClientSession.objects.filter(
        device_binding__family=family, device_binding__generation=generation, ended_at__isnull=True
    ):
        end_session(session, reason)


def authenticate_bound(session: ClientSession, request: HttpRequest, token: str) -> Device | None:
    """For a token bound to a device: its proof is required and must be of that key. Returns the
    device, or None for an unbound token (web and server clients)."""
    binding = DeviceSession.objects.select_related("device", "family").filter(session=session).first()
    if binding is None:
        return None
    from qaryz.access.services import end_session

    device = binding.device
    if device.revoked_at is not None or binding.family.revoked_at is not None:
        end_session(session, "revoked")
        raise _unauthorized("device_revoked")
    now = timezone.now()
    if now > binding.expires_at:
        end_session(session, "expired")
        raise DeviceRefused(
            401, "token_expired", _("The access token has expired: renew it with the refresh token.")
        )
    proof = read_proof(request, access_token=token)
    if proof.jkt != device.jkt:
        audit(
            "devices.proof_wrong_key",
            category="security",
            actor=device.client,
            target=device.client,
            request=request,
            data={"device": device.public_id, "ip": _ip(request)},
        )
        raise DeviceRefused(401, "proof_wrong_key", _("This token belongs to another device."))
    remember_proof(proof)
    changes: dict[str, Any] = {"last_seen_at": now, "last_ip": _ip(request)}
    version = _version(request)
    if version:
        changes["app_version"] = version
        device.app_version = version
    Device.objects.filter(pk=device.pk).update(**changes)
    return device


def end_session_and_family(session: ClientSession, reason: str) -> None:
    """Sign out: the token's session ends and, for a bound token, its refresh family too."""
    from qaryz.access.services import end_session

    binding = DeviceSession.objects.select_related("family").filter(session=session).first()
    if binding is not None:
        _revoke_family(binding.family, reason)
        if reason == "logout":  # signed out on the phone: no more pushes there until the next sign-in
            Device.objects.filter(pk=binding.device_id).update(push_token="")
    end_session(session, reason)


# --- the money guard ------------------------------------------------------------------------
_OPERATIONS = [
    (
        re.compile(r"^/api/v1/applications/(\d+)/contract(/amendments/\d+)?/sign(ing)?$"),
        "signing",
        "application",
    ),
    (re.compile(r"^/api/v1/applications/(\d+)(/.*)?$"), "application", "application"),
    (re.compile(r"^/api/v1/applications$"), "application", ""),
    (re.compile(r"^/api/v1/servicing/loans/(\d+)/payout(/.*)?$"), "payout", "loan"),
    (re.compile(r"^/api/v1/servicing/loans/(\d+)/early-repayment/quote$"), "other", "loan"),  # a calculator
    (re.compile(r"^/api/v1/servicing/loans/(\d+)/early-repayment$"), "repayment", "loan"),
    (re.compile(r"^/api/v1/servicing/loans/(\d+)(/.*)?$"), "other", "loan"),
]


def classify(path: str) -> tuple[str, str]:
    """(operation, reference) of a money request path, e.g. ("payout", "loan:5")."""
    for pattern, operation, kind in _OPERATIONS:
        match = pattern.match(path)
        if match:
            reference = f"{kind}:{match.group(1)}" if kind and match.groups() else ""
            return operation, reference
    return OperationLocation.Operation.OTHER, ""


def version_verdict(platform: str, version: str):  # -> VersionVerdict
    return evaluate(settings.APP_VERSION_POLICY, platform, version)


def update_required_error() -> DeviceRefused:
    return DeviceRefused(
        426,
        "update_required",
        _("This version of the app is no longer supported. Update the app to take or repay a microcredit."),
    )


def _check_version(request: HttpRequest, device: Device | None) -> None:
    platform = _platform(request) or (device.platform if device else "")
    version = _version(request) or (device.app_version if device else "")
    if not platform or not version:
        return
    try:
        verdict = version_verdict(platform, version)
    except VersionError:
        raise DeviceRefused(
            400, "app_version", _("The app version in the request is not readable.")
        ) from None
    if verdict.update_required:
        raise update_required_error()


def parse_location(value: str) -> tuple[str, Decimal | None, Decimal | None, float | None]:
    """``denied`` or ``lat=43.238;lon=76.945;acc=25``; raises ValueError when unreadable."""
    value = (value or "").strip()
    if value.lower() == "denied":
        return OperationLocation.Status.DENIED, None, None, None
    parts = dict(p.strip().split("=", 1) for p in value.split(";") if "=" in p)
    try:
        lat = Decimal(parts["lat"]).quantize(Decimal("0.000001"))
        lon = Decimal(parts["lon"]).quantize(Decimal("0.000001"))
        acc = float(parts["acc"]) if parts.get("acc") else None
    except (KeyError, InvalidOperation, ValueError):
        raise ValueError(value) from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (acc is not None and not 0 <= acc <= 100000):
        raise ValueError(value)
    return OperationLocation.Status.REPORTED, lat, lon, acc


def record_location(request: HttpRequest, client: Client, device: Device | None) -> OperationLocation:
    """The device's location for this money request, or that the app was refused the permission.
    A bound device must send the header; an unbound token's call is recorded as not reported."""
    header = request.headers.get(LOCATION_HEADER, "")
    operation, reference = classify(request.path)
    if not header and device is None:
        status, lat, lon, acc = OperationLocation.Status.NOT_REPORTED, None, None, None
    else:
        try:
            status, lat, lon, acc = parse_location(header)
        except ValueError:
            raise DeviceRefused(
                400,
                "location_required",
                _(
                    "Send the device location (X-Device-Location: lat=…;lon=…;acc=…) or “denied” when the "
                    "permission is refused."
                ),
            ) from None
    return OperationLocation.objects.create(
        client=client,
        device=device,
        operation=operation,
        reference=reference,
        method=(request.method or "")[:8],
        path=request.path[:200],
        request_id=(get_request_id() or "")[:64],
        status=status,
        latitude=lat,
        longitude=lon,
        accuracy_m=acc,
    )


def guard_money(request: HttpRequest, client: Client, device: Device | None) -> None:
    """Before a lending or money action (unsafe methods only): the app version is supported, the
    device shows no integrity risk, and its location (or the refusal) is recorded."""
    if (request.method or "GET").upper() in SAFE_METHODS:
        return
    if device is None and settings.DEVICE_BINDING_REQUIRED:
        raise DeviceRefused(
            403, "device_binding_required", _("Sign in from the Qaryz app on a registered device to do this.")
        )
    _check_version(request, device)
    if device is not None:
        blocked = device.integrity_status == Device.Integrity.COMPROMISED
        unchecked = settings.DEVICE_INTEGRITY_REQUIRED and device.integrity_status == Device.Integrity.UNKNOWN
        if blocked or unchecked:
            audit(
                "devices.operation_blocked",
                category="security",
                actor=client,
                target=client,
                request=request,
                data={"device": device.public_id, "path": request.path, "reasons": device.integrity_reasons},
            )
            if blocked:
                raise DeviceRefused(
                    403,
                    "device_integrity",
                    _(
                        "Microcredits and payments are blocked on this device: it shows signs of a security "
                        "risk (root access, hooking, an emulator or remote control). Use a safe device or "
                        "call us."
                    ),
                )
            raise DeviceRefused(
                403,
                "integrity_check_required",
                _("The app must check the device's security first. Update or reopen it."),
            )
    record_location(request, client, device)


# --- integrity ------------------------------------------------------------------------------
def verifier() -> AttestationVerifier:
    return import_string(settings.DEVICE_ATTESTATION_VERIFIER)()


def issue_nonce(device: Device) -> str:
    nonce = secrets.token_urlsafe(24)
    AttestationNonce.objects.create(
        device=device, nonce=nonce, expires_at=timezone.now() + dt.timedelta(minutes=10)
    )
    return nonce


def report_integrity(
    device: Device,
    *,
    signals: dict[str, bool],
    attestation_token: str = "",
    nonce: str = "",
    request: HttpRequest | None = None,
) -> IntegrityReport:
    """Record the app's signals and the attestation verdict; the device's status follows.

    A missing, unknown, replayed or failing attestation is a reason like any true signal. An
    unreachable verifier is not a pass: the report is kept as compromised with reason
    ``attestation_unavailable`` (a later report clears it)."""
    reasons = [name for name in SIGNALS if signals.get(name)]
    verdict_data: dict[str, Any] = {}
    now = timezone.now()
    with transaction.atomic():
        issued = (
            AttestationNonce.objects.select_for_update().filter(device=device, nonce=nonce or "-").first()
            if nonce
            else None
        )
        if not attestation_token:
            reasons.append("attestation_missing")
        elif issued is None or issued.used_at is not None or issued.expires_at < now:
            reasons.append("attestation_nonce")
        else:
            AttestationNonce.objects.filter(pk=issued.pk).update(used_at=now)
            try:
                verdict = verifier().verify(attestation_token, platform=device.platform or "android")
            except AttestationUnavailable:
                reasons.append("attestation_unavailable")
            else:
                verdict_data = {
                    "valid": verdict.valid,
                    "device_ok": verdict.device_ok,
                    "app_ok": verdict.app_ok,
                    "reasons": verdict.reasons,
                }
                if not verdict.valid:
                    reasons.append("attestation_invalid")
                elif verdict.nonce != nonce or verdict.device_ref != device.public_id:
                    reasons.append("attestation_mismatch")
                else:
                    if not verdict.device_ok:
                        reasons.append("attestation_device")
                    if not verdict.app_ok:
                        reasons.append("attestation_app")
        status = Device.Integrity.COMPROMISED if reasons else Device.Integrity.OK
        report = IntegrityReport.objects.create(
            device=device,
            signals={name: bool(signals.get(name)) for name in SIGNALS},
            attestation=verdict_data,
            status=status,
            reasons=reasons,
        )
        Device.objects.filter(pk=device.pk).update(
            integrity_status=status, integrity_reasons=reasons, integrity_checked_at=now
        )
        device.integrity_status, device.integrity_reasons, device.integrity_checked_at = status, reasons, now
        audit(
            "devices.integrity_reported",
            category="security",
            actor=device.client,
            target=device.client,
            request=request,
            data={"device": device.public_id, "status": status, "reasons": reasons},
        )
    return report


# --- management by the client ---------------------------------------------------------------
def update_device(device: Device, *, name: str | None = None, push_token: str | None = None) -> Device:
    if name is not None:
        device.name = name.strip()[:100]
    with transaction.atomic():
        if push_token is not None:
            device.push_token = push_token.strip()[:400]
            if device.push_token:  # an app install has one owner: the previous one stops receiving
                Device.objects.filter(push_token=device.push_token).exclude(pk=device.pk).update(
                    push_token=""
                )
        device.save(update_fields=["name", "push_token"])
    return device


def revoke_device(client: Client, public_id: str, *, request: HttpRequest | None = None) -> bool:
    """End the device's binding: its tokens, refresh families and push messages stop."""
    with transaction.atomic():
        device = (
            Device.objects.select_for_update()
            .filter(client=client, public_id=public_id, revoked_at__isnull=True)
            .first()
        )
        if device is None:
            return False
        Device.objects.filter(pk=device.pk).update(revoked_at=timezone.now(), revoked_reason="client")
        for family in TokenFamily.objects.filter(device=device, revoked_at__isnull=True):
            _revoke_family(family, "device_revoked")
        audit(
            "devices.revoked",
            category="security",
            actor=client,
            target=client,
            request=request,
            data={"device": device.public_id},
        )
    return True


def revoke_session(client: Client, session_id: int, *, request: HttpRequest | None = None) -> bool:
    """End one session or token of the client (and the refresh family of a bound token)."""
    session = ClientSession.objects.filter(client=client, pk=session_id, ended_at__isnull=True).first()
    if session is None:
        return False
    with transaction.atomic():
        end_session_and_family(session, "revoked_by_client")
        audit(
            "access.session_revoked",
            category="security",
            actor=client,
            target=client,
            request=request,
            data={"session": session.pk, "kind": session.kind},
        )
    return True
