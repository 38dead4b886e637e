"""One-time codes: 60 s, single use, bound to purpose and phone, HMAC-hashed, ≤3 wrong entries (R-AUTH-5)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

import pyotp
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qaryz.access.models import OtpChallenge, SecondFactor

MESSAGES = {
    "unknown": gettext_lazy("The code is not valid. Request a new one."),
    "expired": gettext_lazy("The code has expired. Request a new one."),
    "used": gettext_lazy("The code has already been used. Request a new one."),
    "too_many": gettext_lazy("Too many wrong codes. Request a new one."),
    "wrong": gettext_lazy("Wrong code. Check the SMS and try again."),
    "throttled": gettext_lazy("Please wait before requesting another code."),
    "send_failed": gettext_lazy("We could not send the SMS. Try again in a minute."),
}


class OtpError(Exception):
    def __init__(self, reason: str, *, wait_seconds: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait_seconds = wait_seconds

    @property
    def message(self) -> str:
        return str(MESSAGES.get(self.reason, MESSAGES["unknown"]))


def code_hash(public_id: str, purpose: str, phone: str, code: str) -> str:
    """Keyed hash binding the code to its challenge, purpose and phone: a stolen table is useless."""
    message = f"{public_id}|{purpose}|{phone}|{code}".encode()
    return hmac.new(settings.OTP_HMAC_KEY, message, hashlib.sha256).hexdigest()


def _new_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(settings.OTP_LENGTH))


_PURPOSE_TEXT = {
    "registration": gettext_lazy("registration"),
    "login": gettext_lazy("sign-in"),
    "recovery": gettext_lazy("password recovery"),
    "change_phone": gettext_lazy("change of phone number"),
    "staff_login": gettext_lazy("staff sign-in"),
}


def _sms_text(code: str, purpose: str, language: str) -> str:
    from qaryz.core.selectors import current_mfo_profile

    with translation.override(language):
        return _("%(mfo)s: code %(code)s for %(purpose)s. Valid %(seconds)s s. Never tell it to anyone.") % {
            "mfo": current_mfo_profile().short_name,
            "code": code,
            "purpose": _PURPOSE_TEXT.get(purpose, purpose),
            "seconds": settings.OTP_TTL_SECONDS,
        }


NOTICES = {
    "iin_taken": gettext_lazy(
        "%(mfo)s: someone tried to register with this number and an IIN that already has a cabinet. "
        "If it was you, sign in or recover your password. No code is needed."
    ),
    "bin_taken": gettext_lazy(
        "%(mfo)s: someone tried to register with this number and a BIN that already has a cabinet. "
        "If it was you, sign in or recover your password. No code is needed."
    ),
    "phone_taken": gettext_lazy(
        "%(mfo)s: someone tried to register with this number, which already has a cabinet. "
        "If it was you, sign in or recover your password. No code is needed."
    ),
}


def _send_notice(challenge: OtpChallenge, notice: str, language: str) -> None:
    """Instead of a code: tell the phone's owner why the registration cannot go on (no code exists)."""
    from qaryz.core.selectors import current_mfo_profile
    from qaryz.messaging.services import send_sms

    now = timezone.now()
    OtpChallenge.objects.filter(pk=challenge.pk).update(
        code_hash=secrets.token_hex(32),  # matches no code
        expires_at=now + dt.timedelta(seconds=settings.OTP_TTL_SECONDS),
        last_sent_at=now,
        sends=F("sends") + 1,
        attempts=0,
    )
    challenge.refresh_from_db()
    with translation.override(language):
        text = str(NOTICES[notice]) % {"mfo": current_mfo_profile().short_name}
    delivery = send_sms(challenge.phone, text, purpose=f"notice:{challenge.purpose}")
    if delivery.status != "sent":
        raise OtpError("send_failed")


def _send(challenge: OtpChallenge, language: str) -> None:
    from qaryz.messaging.services import send_sms

    notice = challenge.context.get("notice") if isinstance(challenge.context, dict) else None
    if notice in NOTICES:
        _send_notice(challenge, notice, language)
        return
    code = _new_code()
    now = timezone.now()
    OtpChallenge.objects.filter(pk=challenge.pk).update(
        code_hash=code_hash(challenge.public_id, challenge.purpose, challenge.phone, code),
        expires_at=now + dt.timedelta(seconds=settings.OTP_TTL_SECONDS),
        last_sent_at=now,
        sends=F("sends") + 1,
        attempts=0,
    )
    challenge.refresh_from_db()
    delivery = send_sms(
        challenge.phone, _sms_text(code, challenge.purpose, language), purpose=f"otp:{challenge.purpose}"
    )
    if delivery.status != "sent":
        raise OtpError("send_failed")


def issue(
    phone: str,
    purpose: str,
    *,
    context: dict | None = None,
    method: str = SecondFactor.SMS,
    language: str = "ru",
) -> OtpChallenge:
    """New challenge; sends the SMS (method sms). Throttled per phone and purpose."""
    now = timezone.now()
    recent = (
        OtpChallenge.objects.filter(phone=phone, purpose=purpose, last_sent_at__isnull=False)
        .order_by("-last_sent_at")
        .first()
    )
    if method == SecondFactor.SMS and recent is not None and recent.last_sent_at is not None:
        wait = settings.OTP_RESEND_SECONDS - (now - recent.last_sent_at).total_seconds()
        if wait > 0:
            raise OtpError("throttled", wait_seconds=int(wait) + 1)
    hour_ago = now - dt.timedelta(hours=1)
    # Per purpose: registration attempts with someone's number cannot use up their sign-in codes.
    if (
        OtpChallenge.objects.filter(phone=phone, purpose=purpose, created_at__gte=hour_ago).count()
        >= 10 * settings.OTP_MAX_SENDS
    ):
        raise OtpError("throttled", wait_seconds=3600)
    challenge = OtpChallenge.objects.create(
        public_id=secrets.token_urlsafe(18),
        purpose=purpose,
        phone=phone,
        method=method,
        context=context or {},
        expires_at=now + dt.timedelta(seconds=settings.OTP_TTL_SECONDS),
    )
    if method == SecondFactor.SMS:
        _send(challenge, language)
    else:
        # A TOTP challenge lives as long as a login step may take; the app gives the code.
        OtpChallenge.objects.filter(pk=challenge.pk).update(
            expires_at=now + dt.timedelta(seconds=settings.ACCESS_STEP_SECONDS)
        )
        challenge.refresh_from_db()
    return challenge


def issue_decoy(purpose: str) -> OtpChallenge:
    """A challenge that looks like a sent SMS code but unlocks nothing and sends nothing.

    It is bound to no phone, so decoys never count toward anyone's hourly cap: asking in a victim's
    name with wrong data cannot lock the victim out (issue 11).
    """
    now = timezone.now()
    return OtpChallenge.objects.create(
        public_id=secrets.token_urlsafe(18),
        purpose=purpose,
        phone="",
        method=SecondFactor.SMS,
        code_hash=secrets.token_hex(32),  # matches no code
        context={"decoy": True},
        expires_at=now + dt.timedelta(seconds=settings.OTP_TTL_SECONDS),
        last_sent_at=now,
        sends=1,
    )


def resend(public_id: str, *, language: str = "ru") -> OtpChallenge:
    """A fresh code for the same challenge (the old one dies); throttled and capped."""
    with transaction.atomic():
        challenge = OtpChallenge.objects.select_for_update().filter(public_id=public_id).first()
        if (
            challenge is None
            or challenge.consumed_at
            or challenge.verified_at
            or challenge.method != SecondFactor.SMS
        ):
            raise OtpError("unknown")
        if challenge.sends >= settings.OTP_MAX_SENDS:
            raise OtpError("throttled", wait_seconds=3600)
        if challenge.last_sent_at is not None:
            wait = settings.OTP_RESEND_SECONDS - (timezone.now() - challenge.last_sent_at).total_seconds()
            if wait > 0:
                raise OtpError("throttled", wait_seconds=int(wait) + 1)
        if challenge.context.get("decoy") and not challenge.context.get(
            "notice"
        ):  # as a resend, nothing sent
            OtpChallenge.objects.filter(pk=challenge.pk).update(
                last_sent_at=timezone.now(), sends=F("sends") + 1, attempts=0
            )
            challenge.refresh_from_db()
        else:
            _send(challenge, language)
    return challenge


def get(public_id: str, purpose: str) -> OtpChallenge | None:
    return OtpChallenge.objects.filter(public_id=public_id, purpose=purpose).first()


def verify(
    public_id: str, code: str, *, purpose: str, totp_secret: str = "", consume: bool = True
) -> OtpChallenge:
    """Check a code. Wrong entries are counted atomically; the third wrong entry kills the code."""
    code = (code or "").strip().replace(" ", "")
    with transaction.atomic():
        challenge = (
            OtpChallenge.objects.select_for_update().filter(public_id=public_id, purpose=purpose).first()
        )
        reason = _refusal(challenge)
        if reason is None and challenge is not None:
            if challenge.method == SecondFactor.TOTP:
                step = totp_step(totp_secret, code)
                ok = step is not None
                challenge.totp_step = step  # type: ignore[attr-defined]
            else:
                expected = code_hash(challenge.public_id, challenge.purpose, challenge.phone, code)
                ok = bool(challenge.code_hash) and hmac.compare_digest(expected, challenge.code_hash)
            if ok:
                now = timezone.now()
                challenge.verified_at = now
                if consume:
                    challenge.consumed_at = now
                challenge.code_hash = ""  # nothing left to guess
                challenge.save(update_fields=["verified_at", "consumed_at", "code_hash"])
            else:
                # Committed with the transaction: raising happens outside, after the count is saved.
                OtpChallenge.objects.filter(pk=challenge.pk).update(attempts=F("attempts") + 1)
                challenge.refresh_from_db()
                reason = "too_many" if challenge.attempts >= settings.OTP_MAX_ATTEMPTS else "wrong"
    if reason is not None:
        raise OtpError(reason)
    if challenge is None:  # unreachable: narrowed by _refusal, kept for the type checker
        raise OtpError("unknown")
    return challenge


def totp_step(secret: str, code: str, *, window: int = 1) -> int | None:
    """The 30-second time step whose TOTP equals ``code`` (±window steps), or None."""
    if not secret or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(timezone.now().timestamp()) // totp.interval
    for step in range(now_step - window, now_step + window + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _refusal(challenge: OtpChallenge | None) -> str | None:
    if challenge is None:
        return "unknown"
    if challenge.consumed_at is not None or challenge.verified_at is not None:
        return "used"
    if challenge.attempts >= settings.OTP_MAX_ATTEMPTS:
        return "too_many"
    if timezone.now() >= challenge.expires_at:
        return "expired"
    return None


def issue_continuation(challenge: OtpChallenge) -> str:
    """One-off token proving a verified (not yet consumed) challenge to a later API call."""
    token = secrets.token_urlsafe(32)
    OtpChallenge.objects.filter(pk=challenge.pk).update(
        continuation_hash=hashlib.sha256(token.encode()).hexdigest()
    )
    return token


def by_continuation(token: str, purpose: str) -> OtpChallenge | None:
    digest = hashlib.sha256((token or "").encode()).hexdigest()
    return OtpChallenge.objects.filter(
        continuation_hash=digest, purpose=purpose, consumed_at__isnull=True
    ).first()
