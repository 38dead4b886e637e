"""Client and staff authentication: passwords, lockout, second factor, sessions (R-AUTH-1..6, R-ACC-2).

The lockout counter is race-proof: an attempt first *reserves* a slot with one conditional
UPDATE (``failed_attempts < max AND not locked``), and only a reserved attempt may check the
password. N parallel wrong attempts therefore cause at most ``LOGIN_MAX_FAILURES`` checks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

import pyotp
from django.conf import settings
from django.contrib.auth import login as django_login
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from qaryz.access import otp
from qaryz.access.models import (
    ClientCredential,
    ClientSession,
    OtpChallenge,
    SecondFactor,
    StaffSecurity,
    WebAuthnKey,
)
from qaryz.clients.models import Client
from qaryz.records.services import record_event as audit

CLIENT_SESSION_KEY = "qaryz_client_session"
STAFF_2FA_KEY = "qaryz_staff_2fa"
STAFF_SEEN_KEY = "qaryz_staff_seen"
# Hash compared when the phone is unknown, so a wrong phone takes as long as a wrong password.
_DUMMY_HASH = make_password(secrets.token_urlsafe(16))


class AccessError(Exception):
    """Refusal with a translated, user-safe message."""

    def __init__(self, message: str, *, code: str = "refused", until: dt.datetime | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.until = until


def antifraud_check(event_kind: str, client: Client | None, *, subject: str = "", **attributes: Any) -> None:
    """The antifraud hook (R-AF-1): AccessError(code="antifraud") with a safe, translated message
    when the operation is held for the security service or declined."""
    from qaryz.antifraud.services import Refused, guard

    try:
        guard(event_kind, client=client, attributes=attributes, subject=subject)
    except Refused as exc:
        raise AccessError(exc.message, code="antifraud") from None


def _bad_credentials() -> AccessError:
    return AccessError(_("Wrong phone number or password."), code="bad_credentials")


def _locked(until: dt.datetime | None) -> AccessError:
    local = timezone.localtime(until).strftime("%H:%M") if until else ""
    return AccessError(
        _("Too many wrong passwords: access is blocked until %(time)s.") % {"time": local},
        code="locked",
        until=until,
    )


# --- Lockout counter (shared by clients and staff) -----------------------------------------
def _lift_expired_lock(model: type[ClientCredential] | type[StaffSecurity], pk: int, target: Any) -> None:
    now = timezone.now()
    if model.objects.filter(pk=pk, locked_until__lte=now).update(failed_attempts=0, locked_until=None):
        audit("access.unlocked", category="security", target=target, data={"reason": "lock expired"})


def _reserve_attempt(model: type[ClientCredential] | type[StaffSecurity], pk: int) -> bool:
    return bool(
        model.objects.filter(
            pk=pk, locked_until__isnull=True, failed_attempts__lt=settings.LOGIN_MAX_FAILURES
        ).update(failed_attempts=F("failed_attempts") + 1)
    )


def _after_wrong_password(model: type[ClientCredential] | type[StaffSecurity], pk: int) -> dt.datetime | None:
    until = timezone.now() + dt.timedelta(seconds=settings.LOGIN_LOCK_SECONDS)
    locked = model.objects.filter(
        pk=pk, locked_until__isnull=True, failed_attempts__gte=settings.LOGIN_MAX_FAILURES
    ).update(locked_until=until)
    return until if locked else None


def _password_matches(password: str, encoded: str) -> bool:
    # Separate function so tests can count how many password checks really ran.
    return check_password(password, encoded)


# --- Clients: password step ------------------------------------------------------------------
def client_check_password(phone: str, password: str) -> Client:
    """First factor. Raises AccessError (bad credentials / locked). Audits and notifies a lock-out."""
    from qaryz.clients.services import ClientDataError, normalize_phone

    try:
        phone = normalize_phone(phone)
    except ClientDataError:
        _password_matches(password, _DUMMY_HASH)
        raise _bad_credentials() from None
    credential = ClientCredential.objects.select_related("client").filter(client__phone=phone).first()
    if credential is None or credential.client.status == Client.Status.BLOCKED:
        _password_matches(password, _DUMMY_HASH)
        raise _bad_credentials()
    client = credential.client
    _lift_expired_lock(ClientCredential, credential.pk, client)
    if not _reserve_attempt(ClientCredential, credential.pk):
        credential.refresh_from_db()
        raise _locked(credential.locked_until)
    encoded = ClientCredential.objects.values_list("password_hash", flat=True).get(pk=credential.pk)
    if _password_matches(password, encoded):
        ClientCredential.objects.filter(pk=credential.pk).update(failed_attempts=0)
        return client
    until = _after_wrong_password(ClientCredential, credential.pk)
    audit("access.login_failed", category="security", target=client, data={"reason": "password"})
    if until is not None:
        audit(
            "access.locked",
            category="security",
            target=client,
            data={"until": until.isoformat(), "failures": settings.LOGIN_MAX_FAILURES},
        )
        _notify(client, "locked", until=until)
        raise _locked(until)
    raise _bad_credentials()


def begin_client_login(client: Client) -> OtpChallenge:
    """Second factor: SMS code (default) or the enrolled authenticator app (R-AUTH-1)."""
    credential = client.credential
    return otp.issue(
        client.phone,
        "login",
        context={"client_id": client.pk},
        method=credential.second_factor,
        language=client.preferred_language,
    )


def _verify_code(public_id: str, code: str, purpose: str, secrets_of: Any, owner: str) -> OtpChallenge:
    """Check an SMS or TOTP sign-in code. ``secrets_of`` is the credential table (ClientCredential
    or StaffSecurity) and ``owner`` its key in the challenge context; a TOTP code is accepted once
    (its time step must be newer than the last accepted one)."""
    challenge = otp.get(public_id, purpose)
    secret = ""
    if challenge is not None and challenge.method == SecondFactor.TOTP:
        owned = secrets_of.objects.filter(**{owner: challenge.context.get(owner)})
        secret = owned.values_list("totp_secret", flat=True).first() or ""
    challenge = otp.verify(public_id, code, purpose=purpose, totp_secret=secret)
    step = getattr(challenge, "totp_step", None)
    if step is not None and not secrets_of.objects.filter(
        **{owner: challenge.context[owner], "totp_last_step__lt": step}
    ).update(totp_last_step=step):
        raise otp.OtpError("used")  # the same app code was already used for another sign-in
    return challenge


def client_verify_second_factor(public_id: str, code: str) -> Client:
    challenge = _verify_code(public_id, code, "login", ClientCredential, "client_id")
    return Client.objects.get(pk=challenge.context["client_id"])


# --- Client sessions -------------------------------------------------------------------------
def _device(request: HttpRequest | None) -> dict[str, str | None]:
    if request is None:
        return {"ip": None, "user_agent": ""}
    return {
        "ip": request.META.get("REMOTE_ADDR") or None,
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
    }


def start_web_session(
    request: HttpRequest, client: Client, *, scope: str = ClientSession.Scope.FULL, notify: bool = True
) -> ClientSession:
    """Fresh Django session id (no fixation), a ClientSession row, and the login notification."""
    end_stale_sessions(client)
    request.session.cycle_key()
    request.session.save()
    session = ClientSession.objects.create(
        client=client,
        kind=ClientSession.Kind.WEB,
        scope=scope,
        session_key=request.session.session_key or "",
        last_seen_at=timezone.now(),
        **_device(request),
    )
    request.session[CLIENT_SESSION_KEY] = session.pk
    if scope == ClientSession.Scope.FULL:
        audit(
            "access.login",
            category="security",
            actor=client,
            target=client,
            request=request,
            data={"channel": "web", "ip": session.ip},
        )
        if notify:
            _notify_login(client, session)
    return session


def issue_api_token(
    client: Client,
    *,
    request: HttpRequest | None = None,
    device_id: str = "",
    scope: str = ClientSession.Scope.FULL,
    login_event: bool = True,
) -> tuple[str, ClientSession]:
    """Short-lived bearer token for the mobile app; only its SHA-256 is stored (R-MOB-1).
    A recovery-scope token opens only the biometric check and the end of password recovery.
    ``login_event=False`` (a device's token renewed by its refresh token): no audit, no notice."""
    token = secrets.token_urlsafe(32)
    session = ClientSession.objects.create(
        client=client,
        kind=ClientSession.Kind.API,
        scope=scope,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
        last_seen_at=timezone.now(),
        device_id=device_id[:100],
        **_device(request),
    )
    if scope != ClientSession.Scope.FULL or not login_event:
        return token, session
    audit(
        "access.login",
        category="security",
        actor=client,
        target=client,
        request=request,
        data={"channel": "api", "ip": session.ip},
    )
    _notify_login(client, session)
    return token, session


def session_from_token(token: str) -> ClientSession | None:
    digest = hashlib.sha256((token or "").encode()).hexdigest()
    session = (
        ClientSession.objects.select_related("client")
        .filter(token_hash=digest, kind=ClientSession.Kind.API, ended_at__isnull=True)
        .first()
    )
    if session is None:
        return None
    now = timezone.now()
    if (now - session.last_seen_at).total_seconds() > settings.API_TOKEN_SECONDS or (
        now - session.created_at
    ).total_seconds() > settings.API_TOKEN_MAX_SECONDS:
        end_session(session, "expired")
        return None
    ClientSession.objects.filter(pk=session.pk).update(last_seen_at=now)
    return session


def web_session(request: HttpRequest) -> ClientSession | None:
    """The request's live client session, ended when idle longer than SESSION_IDLE_SECONDS (R-AUTH-3)."""
    pk = request.session.get(CLIENT_SESSION_KEY)
    if not pk:
        return None
    session = (
        ClientSession.objects.select_related("client")
        .filter(
            pk=pk, kind=ClientSession.Kind.WEB, ended_at__isnull=True, session_key=request.session.session_key
        )
        .first()
    )
    if session is None:
        request.session.pop(CLIENT_SESSION_KEY, None)
        return None
    now = timezone.now()
    if (now - session.last_seen_at).total_seconds() > settings.SESSION_IDLE_SECONDS:
        end_session(session, "idle")
        request.session.flush()
        return None
    if session.client.status == Client.Status.BLOCKED:
        end_session(session, "blocked")
        request.session.flush()
        return None
    ClientSession.objects.filter(pk=session.pk).update(last_seen_at=now)
    return session


def end_stale_sessions(client: Client | None = None) -> int:
    """Mark sessions idle beyond their limit as ended (the session store already refuses them)."""
    now = timezone.now()
    stale = ClientSession.objects.filter(ended_at__isnull=True).filter(
        Q(
            kind=ClientSession.Kind.WEB,
            last_seen_at__lt=now - dt.timedelta(seconds=settings.SESSION_IDLE_SECONDS),
        )
        | Q(
            kind=ClientSession.Kind.API,
            last_seen_at__lt=now - dt.timedelta(seconds=settings.API_TOKEN_SECONDS),
        )
    )
    if client is not None:
        stale = stale.filter(client=client)
    return stale.update(ended_at=now, end_reason="idle")


def end_session(session: ClientSession, reason: str) -> None:
    ClientSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(
        ended_at=timezone.now(), end_reason=reason
    )
    if session.kind == ClientSession.Kind.WEB and session.session_key:
        _session_store(session.session_key).delete()


def logout_client(request: HttpRequest) -> None:
    session = web_session(request)
    if session is not None:
        end_session(session, "logout")
        audit(
            "access.logout", category="security", actor=session.client, target=session.client, request=request
        )
    request.session.flush()


def end_other_sessions(client: Client, *, keep: ClientSession | None = None, reason: str) -> int:
    others = ClientSession.objects.filter(client=client, ended_at__isnull=True)
    if keep is not None:
        others = others.exclude(pk=keep.pk)
    count = 0
    for session in list(others):
        end_session(session, reason)
        count += 1
    return count


def _session_store(key: str) -> SessionBase:
    return import_string(f"{settings.SESSION_ENGINE}.SessionStore")(session_key=key)


# --- Passwords -----------------------------------------------------------------------------
@dataclass
class _PasswordOwner:
    """What UserAttributeSimilarityValidator compares the password with."""

    username: str
    first_name: str
    last_name: str
    email: str = ""


def validate_client_password(
    password: str, *, phone: str, surname: str = "", given_name: str = "", iin: str = ""
) -> None:
    owner = _PasswordOwner(username=phone, first_name=given_name, last_name=surname, email=iin)
    validate_password(password, user=owner)
    if iin and iin in password:
        raise ValidationError(_("The password must not contain your IIN."), code="password_iin")


def set_client_password(client: Client, password: str) -> ClientCredential:
    validate_client_password(
        password,
        phone=client.phone,
        surname=client.surname,
        given_name=client.given_name,
        iin=client.iin or "",
    )
    credential, _created = ClientCredential.objects.update_or_create(
        client=client,
        defaults={
            "password_hash": make_password(password),
            "password_changed_at": timezone.now(),
            "failed_attempts": 0,
            "locked_until": None,
        },
    )
    return credential


def change_client_password(
    client: Client,
    old_password: str,
    new_password: str,
    *,
    current: ClientSession | None,
    request: HttpRequest | None = None,
) -> None:
    """Password change from the cabinet: checks the old one, ends every other session (R-AUTH-6)."""
    credential = client.credential
    if not _password_matches(old_password, credential.password_hash):
        raise AccessError(_("The current password is wrong."), code="bad_password")
    if old_password == new_password:
        raise AccessError(_("The new password must differ from the current one."), code="same_password")
    with transaction.atomic():
        set_client_password(client, new_password)
        ended = end_other_sessions(client, keep=current, reason="password_changed")
        audit(
            "access.password_changed",
            category="security",
            actor=client,
            target=client,
            request=request,
            data={"other_sessions_ended": ended},
        )
    _notify(client, "password_changed")


# --- TOTP enrolment --------------------------------------------------------------------------
def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=settings.TOTP_ISSUER)


def totp_qr_svg(uri: str) -> str:
    """The enrolment URI as an inline SVG QR code (rendered here: no script, no third party sees it)."""
    import io

    import segno

    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False, svgns=True, title="QR")
    return out.getvalue().decode()


def enrol_client_totp(client: Client, secret: str, code: str) -> None:
    step = otp.totp_step(secret, (code or "").strip())
    if step is None:
        raise AccessError(
            _("Wrong code from the app. Check the time on your phone and try again."), code="totp"
        )
    # The enrolment code counts as used: it cannot open a sign-in afterwards.
    ClientCredential.objects.filter(client=client).update(
        second_factor=SecondFactor.TOTP, totp_secret=secret, totp_last_step=step
    )
    audit("access.totp_enrolled", category="security", actor=client, target=client)
    _notify(client, "factor_changed")


def disable_client_totp(client: Client) -> None:
    ClientCredential.objects.filter(client=client).update(second_factor=SecondFactor.SMS, totp_secret="")
    audit("access.totp_disabled", category="security", actor=client, target=client)
    _notify(client, "factor_changed")


# --- Unlock by staff -------------------------------------------------------------------------
def unlock_client(client: Client, *, staff: Any, request: HttpRequest | None = None) -> bool:
    done = bool(
        ClientCredential.objects.filter(client=client)
        .filter(Q(locked_until__isnull=False) | Q(failed_attempts__gt=0))
        .update(failed_attempts=0, locked_until=None)
    )
    if done:
        audit(
            "access.unlocked",
            category="security",
            actor=staff,
            target=client,
            request=request,
            data={"reason": "staff"},
        )
        _notify(client, "unlocked")
    return done


def reset_client_second_factor(
    client: Client, *, staff: Any, reason: str, request: HttpRequest | None = None
) -> bool:
    """Back to SMS codes for a client who lost the security key or authenticator app.

    The lost keys are deleted (they must not keep working for whoever finds them) and the TOTP
    secret is dropped. Staff must give the reason (how the caller's identity was established);
    it goes to the audit trail as a security event and the client is told (R-AUTH-6, R-ACC-1).
    """
    reason = reason.strip()
    if not reason:
        raise AccessError(_("Give the reason for the reset."))
    with transaction.atomic():
        keys = WebAuthnKey.objects.filter(client=client).delete()[0]
        changed = (
            ClientCredential.objects.filter(client=client)
            .exclude(second_factor=SecondFactor.SMS, totp_secret="")
            .update(second_factor=SecondFactor.SMS, totp_secret="")
        )
        if not (keys or changed):
            return False
        audit(
            "access.second_factor_reset",
            category="security",
            actor=staff,
            target=client,
            request=request,
            data={"reason": reason[:500], "keys_removed": keys},
        )
    _notify(client, "factor_reset")
    return True


# --- Notifications (R-AUTH-6) -----------------------------------------------------------------
def _notify_login(client: Client, session: ClientSession) -> None:
    when = timezone.localtime(session.created_at).strftime("%d.%m.%Y %H:%M")
    device = (
        _device_label(session.user_agent)
        if session.kind == ClientSession.Kind.WEB
        else (session.device_id or "app")
    )
    _notify(client, "login", when=when, ip=session.ip or "?", device=device)


def _device_label(user_agent: str) -> str:
    ua = user_agent or ""
    for name in ("Edg", "OPR", "Firefox", "Chrome", "Safari"):
        if name in ua:
            browser = {"Edg": "Edge", "OPR": "Opera"}.get(name, name)
            break
    else:
        browser = "browser"
    for name in ("Android", "iPhone", "iPad", "Windows", "Mac OS", "Linux"):
        if name in ua:
            return f"{browser}, {name}"
    return browser


def _notify(client: Client, event: str, **params: Any) -> None:
    from qaryz.messaging.services import notify_client

    with translation.override(client.preferred_language or settings.LANGUAGE_CODE):
        subject, body = _notification_text(event, params)
        notify_client(client, subject, body, phone=params.get("phone"), kind=f"access.{event}")


def _notification_text(event: str, params: dict[str, Any]) -> tuple[str, str]:
    warn = _("If it was not you, call us at once.")
    if event == "login":
        return _("Sign-in to your cabinet"), _(
            "Sign-in on %(when)s from %(device)s, IP %(ip)s."
        ) % params + " " + warn
    if event == "locked":
        until = timezone.localtime(params["until"]).strftime("%H:%M")
        return _("Access blocked"), _("Three wrong passwords: access is blocked until %(time)s.") % {
            "time": until
        } + " " + warn
    if event == "unlocked":
        return _("Access restored"), _("Access to your cabinet has been restored by our staff.")
    if event == "password_changed":
        return _("Password changed"), _("Your password was changed; other sessions were ended.") + " " + warn
    if event == "password_recovered":
        return _("Password recovered"), _(
            "Your password was reset after SMS and biometric checks."
        ) + " " + warn
    if event == "factor_reset":
        return _("Sign-in method reset"), _(
            "At your request our staff reset your second factor: sign-in codes now come by SMS."
        ) + " " + warn
    if event == "factor_changed":
        return _("Sign-in method changed"), _("The second factor of your sign-in was changed.") + " " + warn
    if event == "key_added":
        return _("Security key added"), _(
            "The security key “%(name)s” was added and is now your second factor."
        ) % params + " " + warn
    if event == "key_removed":
        return _("Security key removed"), _("The security key “%(name)s” was removed.") % params + " " + warn
    if event == "key_clone":
        return _("Security key refused"), _(
            "A sign-in with your security key “%(name)s” was refused: the key may have been copied."
        ) % params + " " + warn
    if event == "phone_changed":
        return _("Phone number changed"), _(
            "The phone number of your cabinet was changed to …%(tail)s."
        ) % params + " " + warn
    if event == "bank_changed":
        return _("Bank details changed"), _(
            "Your registered bank details were changed to %(masked)s."
        ) % params + " " + warn
    return event, ""


# --- Staff -----------------------------------------------------------------------------------
def staff_check_password(username: str, password: str) -> Any:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username, is_active=True, is_staff=True).first()
    security = StaffSecurity.objects.filter(user=user).first() if user is not None else None
    if user is None or security is None:
        _password_matches(password, _DUMMY_HASH)
        raise AccessError(_("Wrong user name or password."), code="bad_credentials")
    _lift_expired_lock(StaffSecurity, security.pk, user)
    if not _reserve_attempt(StaffSecurity, security.pk):
        security.refresh_from_db()
        raise _locked(security.locked_until)
    user.refresh_from_db(fields=["password"])
    if _password_matches(password, user.password):
        StaffSecurity.objects.filter(pk=security.pk).update(failed_attempts=0)
        return user
    until = _after_wrong_password(StaffSecurity, security.pk)
    audit("staff.login_failed", category="security", target=user, data={"username": username})
    if until is not None:
        audit("staff.locked", category="security", target=user, data={"until": until.isoformat()})
        raise _locked(until)
    raise AccessError(_("Wrong user name or password."), code="bad_credentials")


def begin_staff_login(user: Any) -> OtpChallenge:
    security = user.security
    return otp.issue(
        security.phone or f"staff:{user.pk}",
        "staff_login",
        context={"user_id": user.pk},
        method=security.second_factor,
    )


def staff_verify_second_factor(request: HttpRequest, public_id: str, code: str) -> Any:
    from django.contrib.auth import get_user_model

    challenge = _verify_code(public_id, code, "staff_login", StaffSecurity, "user_id")
    user = get_user_model().objects.get(pk=challenge.context["user_id"])
    django_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[STAFF_2FA_KEY] = True
    request.session[STAFF_SEEN_KEY] = timezone.now().timestamp()
    audit(
        "staff.login",
        category="security",
        actor=user,
        target=user,
        request=request,
        data={"ip": request.META.get("REMOTE_ADDR")},
    )
    return user


def enrol_staff_totp(user: Any, secret: str, code: str) -> None:
    step = otp.totp_step(secret, (code or "").strip())
    if step is None:
        raise AccessError(
            _("Wrong code from the app. Check the time on your phone and try again."), code="totp"
        )
    StaffSecurity.objects.filter(user=user).update(
        second_factor=SecondFactor.TOTP, totp_secret=secret, totp_last_step=step
    )
    audit("staff.totp_enrolled", category="security", actor=user, target=user)


def set_staff_password(user: Any, password: str) -> None:
    """Staff password policy is configurable (STAFF_PASSWORD_VALIDATORS, R-ACC-2)."""
    from django.contrib.auth.password_validation import get_password_validators

    validate_password(
        password, user=user, password_validators=get_password_validators(settings.STAFF_PASSWORD_VALIDATORS)
    )
    user.set_password(password)
    user.save(update_fields=["password"])
    StaffSecurity.objects.filter(user=user).update(password_changed_at=timezone.now())
    audit("staff.password_changed", category="security", actor=user, target=user)


def staff_session_valid(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff or not user.is_active:
        return False
    if not request.session.get(STAFF_2FA_KEY):
        return False
    seen = request.session.get(STAFF_SEEN_KEY, 0)
    now = timezone.now().timestamp()
    if now - seen > settings.SESSION_IDLE_SECONDS:
        request.session.flush()
        return False
    request.session[STAFF_SEEN_KEY] = now
    return True
