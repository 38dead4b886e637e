"""WebAuthn security keys as the client's second factor (R-AUTH-1, R-AUTH-6), on py_webauthn.

Enrolment (web cabinet): ``registration_options`` keeps the challenge in the client's server-side
session (single use, ``WEBAUTHN_TIMEOUT_SECONDS``); ``enrol_key`` takes it out before verifying,
so a registration response can be checked only once. Attestation is ``none`` (no vendor
certificate is trusted or needed), user verification is *preferred*.

Sign-in (web and mobile API): the password step issues a login ``OtpChallenge`` with method
``webauthn`` (no SMS is sent, as for TOTP). ``login_options`` puts a fresh WebAuthn challenge on
that row (only the latest is valid, for ``WEBAUTHN_TIMEOUT_SECONDS``) and lists the client's keys
in ``allowCredentials``; ``login_verify`` takes the challenge off the row before verifying. A
failed assertion counts as a wrong code (``OTP_MAX_ATTEMPTS`` kill the sign-in); a success
consumes the challenge. The signature counter must grow: a valid signature with a counter that
does not (a cloned authenticator, or a replay) is refused and audited as a security event.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.http.request import split_domain_port
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from qaryz.access.models import ClientCredential, OtpChallenge, SecondFactor, WebAuthnKey
from qaryz.clients.models import Client
from qaryz.records.services import record_event as audit

ENROL_SESSION_KEY = "qaryz_webauthn_enrol"
KEY_NAME_MAX = 60

MESSAGES = {
    "unknown": gettext_lazy("This sign-in step is no longer valid. Sign in again."),
    "expired": gettext_lazy("The security key request has expired. Try again."),
    "used": gettext_lazy("This sign-in step has already been used. Sign in again."),
    "too_many": gettext_lazy("Too many failed attempts. Sign in again."),
    "refused": gettext_lazy("The security key could not be verified. Try again."),
    "foreign": gettext_lazy("This security key is not registered for your account."),
    "clone": gettext_lazy("This security key was refused for your protection. Contact us."),
    "no_keys": gettext_lazy("No security key is registered for your account."),
    "duplicate": gettext_lazy("This security key is already registered."),
}
# Reasons after which the sign-in must start again from the password step.
RESTART = frozenset({"unknown", "used", "too_many", "no_keys", "clone"})


class KeyRefused(Exception):
    """Refusal of a WebAuthn ceremony with a translated, user-safe message."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    @property
    def message(self) -> str:
        return str(MESSAGES.get(self.reason, MESSAGES["refused"]))

    @property
    def restart(self) -> bool:
        return self.reason in RESTART


@dataclass(frozen=True)
class RelyingParty:
    rp_id: str
    origins: list[str]


def relying_party(request: HttpRequest) -> RelyingParty:
    """RP id and accepted origins: from settings, else the request's own (validated) host."""
    host = request.get_host()  # checked against ALLOWED_HOSTS
    rp_id = settings.WEBAUTHN_RP_ID or split_domain_port(host)[0]
    origins = list(settings.WEBAUTHN_ORIGINS) or [f"{request.scheme}://{host}"]
    return RelyingParty(rp_id=rp_id, origins=origins)


def _user_handle(client: Client) -> bytes:
    # Stable per client, reveals nothing about them (the WebAuthn spec forbids personal data here).
    return hmac.new(settings.OTP_HMAC_KEY, f"webauthn-user|{client.pk}".encode(), hashlib.sha256).digest()


def _descriptor(key: WebAuthnKey) -> PublicKeyCredentialDescriptor:
    transports = []
    for value in key.transports or []:
        try:
            transports.append(AuthenticatorTransport(value))
        except ValueError:
            continue
    return PublicKeyCredentialDescriptor(id=bytes(key.credential_id), transports=transports or None)


def _deadline() -> float:
    return (timezone.now() + dt.timedelta(seconds=settings.WEBAUTHN_TIMEOUT_SECONDS)).timestamp()


def client_keys(client: Client) -> list[WebAuthnKey]:
    return list(WebAuthnKey.objects.filter(client=client))


# --- Enrolment -------------------------------------------------------------------------------
def registration_options(client: Client, rp: RelyingParty, session: SessionBase) -> dict[str, Any]:
    """Options for navigator.credentials.create(); the challenge stays in the server-side session."""
    from qaryz.core.selectors import current_mfo_profile

    challenge = secrets.token_bytes(32)
    options = generate_registration_options(
        rp_id=rp.rp_id,
        rp_name=current_mfo_profile().short_name or settings.MFO_NAME,
        user_id=_user_handle(client),
        user_name=client.phone,
        user_display_name=client.display_name or client.phone,
        challenge=challenge,
        timeout=settings.WEBAUTHN_TIMEOUT_SECONDS * 1000,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=[_descriptor(key) for key in client_keys(client)],
    )
    session[ENROL_SESSION_KEY] = {
        "challenge": bytes_to_base64url(challenge),
        "client_id": client.pk,
        "rp_id": rp.rp_id,
        "expires": _deadline(),
    }
    return json.loads(options_to_json(options))


def enrol_key(
    client: Client,
    rp: RelyingParty,
    session: SessionBase,
    credential: Any,
    name: str,
    *,
    request: HttpRequest | None = None,
) -> WebAuthnKey:
    """Verify the browser's registration response and make the key the client's second factor."""
    state = session.pop(ENROL_SESSION_KEY, None)  # single use, whatever the outcome
    if hasattr(session, "save"):
        session.save()
    if not isinstance(state, dict) or state.get("client_id") != client.pk or state.get("rp_id") != rp.rp_id:
        raise KeyRefused("unknown")
    if timezone.now().timestamp() > float(state.get("expires", 0)):
        raise KeyRefused("expired")
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(state["challenge"]),
            expected_rp_id=rp.rp_id,
            expected_origin=rp.origins,
            require_user_verification=False,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError) as exc:
        audit(
            "access.webauthn_enrol_failed",
            category="security",
            actor=client,
            target=client,
            request=request,
            data={"error": str(exc)[:200]},
        )
        raise KeyRefused("refused") from None
    transports = []
    if isinstance(credential, dict):
        raw = (credential.get("response") or {}).get("transports") or []
        transports = [t for t in raw if isinstance(t, str) and t in {x.value for x in AuthenticatorTransport}]
    label = " ".join((name or "").split())[:KEY_NAME_MAX] or _("Security key")
    try:
        with transaction.atomic():
            key = WebAuthnKey.objects.create(
                client=client,
                credential_id=verified.credential_id,
                credential_id_b64=bytes_to_base64url(verified.credential_id),
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                transports=transports,
                name=label,
                aaguid=str(verified.aaguid or ""),
            )
            ClientCredential.objects.filter(client=client).update(
                second_factor=SecondFactor.WEBAUTHN, totp_secret=""
            )
    except IntegrityError:
        raise KeyRefused("duplicate") from None
    audit(
        "access.webauthn_enrolled",
        category="security",
        actor=client,
        target=client,
        request=request,
        data={"key": key.pk, "name": key.name, "aaguid": key.aaguid, "transports": transports},
    )
    _notify(client, "key_added", name=key.name)
    return key


def remove_key(client: Client, key_id: int, *, request: HttpRequest | None = None) -> bool:
    """Delete one of the client's keys; without keys left the second factor falls back to SMS."""
    with transaction.atomic():
        key = WebAuthnKey.objects.select_for_update().filter(client=client, pk=key_id).first()
        if key is None:
            return False
        name = key.name
        key.delete()
        fallback = not WebAuthnKey.objects.filter(client=client).exists()
        if fallback:
            ClientCredential.objects.filter(client=client, second_factor=SecondFactor.WEBAUTHN).update(
                second_factor=SecondFactor.SMS
            )
    audit(
        "access.webauthn_removed",
        category="security",
        actor=client,
        target=client,
        request=request,
        data={"key": key_id, "name": name, "fallback_to_sms": fallback},
    )
    _notify(client, "key_removed", name=name)
    return True


def use_keys(client: Client, *, request: HttpRequest | None = None) -> None:
    """Make the enrolled keys the second factor again (after the client had switched away)."""
    if not WebAuthnKey.objects.filter(client=client).exists():
        raise KeyRefused("no_keys")
    ClientCredential.objects.filter(client=client).update(second_factor=SecondFactor.WEBAUTHN, totp_secret="")
    audit("access.webauthn_selected", category="security", actor=client, target=client, request=request)
    _notify(client, "factor_changed")


def stop_using_keys(client: Client, *, request: HttpRequest | None = None) -> None:
    """SMS codes become the second factor again; the keys stay enrolled (and removable)."""
    ClientCredential.objects.filter(client=client, second_factor=SecondFactor.WEBAUTHN).update(
        second_factor=SecondFactor.SMS
    )
    audit("access.webauthn_disabled", category="security", actor=client, target=client, request=request)
    _notify(client, "factor_changed")


# --- Sign-in ---------------------------------------------------------------------------------
def _login_challenge(public_id: str) -> OtpChallenge:
    from qaryz.access.otp import _refusal

    challenge = (
        OtpChallenge.objects.select_for_update()
        .filter(public_id=public_id, purpose=OtpChallenge.Purpose.LOGIN, method=SecondFactor.WEBAUTHN)
        .first()
    )
    reason = _refusal(challenge)
    if reason is not None or challenge is None:
        raise KeyRefused(reason or "unknown")
    return challenge


def login_options(public_id: str, rp: RelyingParty) -> dict[str, Any]:
    """Options for navigator.credentials.get() for a pending sign-in (R-AUTH-1)."""
    with transaction.atomic():
        challenge = _login_challenge(public_id)
        keys = WebAuthnKey.objects.filter(client_id=challenge.context.get("client_id"))
        if not keys.exists():
            raise KeyRefused("no_keys")
        nonce = secrets.token_bytes(32)
        options = generate_authentication_options(
            rp_id=rp.rp_id,
            challenge=nonce,
            timeout=settings.WEBAUTHN_TIMEOUT_SECONDS * 1000,
            allow_credentials=[_descriptor(key) for key in keys],
            user_verification=UserVerificationRequirement.PREFERRED,
        )
        context = dict(challenge.context)
        context["webauthn"] = {
            "challenge": bytes_to_base64url(nonce),
            "rp_id": rp.rp_id,
            "expires": _deadline(),
        }
        OtpChallenge.objects.filter(pk=challenge.pk).update(context=context)
    return json.loads(options_to_json(options))


def _credential_id(credential: Any) -> str:
    if not isinstance(credential, dict):
        return ""
    value = credential.get("rawId") or credential.get("id") or ""
    return value if isinstance(value, str) else ""


def login_verify(
    public_id: str, credential: Any, rp: RelyingParty, *, request: HttpRequest | None = None
) -> Client:
    """Check an assertion for a pending sign-in; returns the client or raises KeyRefused."""
    from django.db.models import F

    reason: str | None = None
    clone: dict[str, Any] | None = None
    client_id = None
    with transaction.atomic():
        challenge = _login_challenge(public_id)
        client_id = challenge.context.get("client_id")
        context = dict(challenge.context)
        state = context.pop("webauthn", None)  # single use: gone whatever the outcome
        OtpChallenge.objects.filter(pk=challenge.pk).update(context=context)
        if not isinstance(state, dict) or state.get("rp_id") != rp.rp_id:
            reason = "refused"
        elif timezone.now().timestamp() > float(state.get("expires", 0)):
            reason = "expired"
        key = None
        if reason is None:
            key = (
                WebAuthnKey.objects.select_for_update()
                .filter(client_id=client_id, credential_id_b64=_credential_id(credential))
                .first()
            )
            if key is None:
                reason = "foreign"
        if reason is None and key is not None:
            try:
                # Counter checked below, after the signature, so a counter problem of a genuine
                # signature (a clone) can be told apart from garbage.
                verified = verify_authentication_response(
                    credential=credential,
                    expected_challenge=base64url_to_bytes(state["challenge"]),  # type: ignore[index]
                    expected_rp_id=rp.rp_id,
                    expected_origin=rp.origins,
                    credential_public_key=bytes(key.public_key),
                    credential_current_sign_count=0,
                    require_user_verification=False,
                )
            except (WebAuthnException, ValueError, TypeError, KeyError):
                reason = "refused"
            else:
                stored, new = key.sign_count, verified.new_sign_count
                if (new > 0 or stored > 0) and new <= stored:
                    reason = "clone"
                    clone = {"key": key.pk, "name": key.name, "stored": stored, "received": new}
                else:
                    now = timezone.now()
                    WebAuthnKey.objects.filter(pk=key.pk).update(sign_count=new, last_used_at=now)
                    OtpChallenge.objects.filter(pk=challenge.pk).update(verified_at=now, consumed_at=now)
        if reason == "clone":
            # A cloned key may be in a thief's hands: this sign-in ends here.
            OtpChallenge.objects.filter(pk=challenge.pk).update(
                attempts=F("attempts") + 1, consumed_at=timezone.now()
            )
        elif reason is not None:
            OtpChallenge.objects.filter(pk=challenge.pk).update(attempts=F("attempts") + 1)
            challenge.refresh_from_db(fields=["attempts"])
            if challenge.attempts >= settings.OTP_MAX_ATTEMPTS:
                reason = "too_many"
    client = Client.objects.get(pk=client_id)
    if reason is not None:
        if clone is not None:
            audit(
                "access.webauthn_clone_suspected",
                category="security",
                target=client,
                request=request,
                data=clone,
            )
            _notify(client, "key_clone", name=clone["name"])
        else:
            audit(
                "access.login_failed",
                category="security",
                target=client,
                request=request,
                data={"reason": f"webauthn:{reason}"},
            )
        raise KeyRefused(reason)
    return client


def _notify(client: Client, event: str, **params: Any) -> None:
    from qaryz.access.services import _notify as notify

    notify(client, event, **params)
