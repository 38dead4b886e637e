"""Self-registration (R-ONB-8): IIN + full name + phone -> SMS code (60 s) -> password -> REGISTERED.

The client row is created only when the password is set, in one transaction with the credential,
so an abandoned registration leaves nothing behind but an expired challenge.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qaryz.access import consent, otp
from qaryz.access.models import ClientCredential, OtpChallenge
from qaryz.access.services import AccessError, validate_client_password
from qaryz.clients.models import Client, Consent
from qaryz.clients.services import (
    ClientDataError,
    SignerData,
    check_address,
    check_bin,
    check_iin,
    check_name,
    normalize_phone,
    record_consent,
    register_client,
)
from qaryz.records.services import record_event as audit

FIELDS = (
    "kind",
    "iin",
    "bin",
    "surname",
    "given_name",
    "patronymic",
    "legal_name",
    "phone",
    "signer_surname",
    "signer_given_name",
    "signer_patronymic",
    "signer_iin",
    "address",
    "language",
)


NAME_FIELDS = (
    "surname",
    "given_name",
    "patronymic",
    "legal_name",
    "signer_surname",
    "signer_given_name",
    "signer_patronymic",
)


def clean_registration(data: dict) -> dict:
    """Validate what the applicant typed; raise ClientDataError with a translated message.

    Whether the IIN, BIN or phone already belongs to a client is not decided here: `start` gives the
    same answer either way and tells the rest only to the owner of the phone, by SMS.
    """
    clean = {key: str(data.get(key) or "").strip() for key in FIELDS}
    if clean["language"] not in consent.LANGUAGES:
        clean["language"] = settings.LANGUAGE_CODE
    # Consent to personal-data processing (shown in the interface language) is required; the
    # exact text agreed to travels with the challenge and is kept in the vault at completion.
    if data.get("pd_consent") is not True and str(data.get("pd_consent", "")).lower() not in (
        "on",
        "true",
        "1",
    ):
        raise ClientDataError(
            _("To register, agree to the processing of your personal data."), code="pd_consent"
        )
    text = consent.consent_text(clean["language"])
    sha = consent.text_sha256(text)
    shown = str(data.get("consent_sha256") or "").strip().lower()
    if shown and shown != sha:
        raise ClientDataError(
            _("The consent text has changed: read it again and agree to it."), code="pd_consent_changed"
        )
    clean["phone"] = normalize_phone(clean["phone"])
    kind = clean["kind"] or Client.Kind.INDIVIDUAL
    clean["kind"] = kind
    if kind not in Client.Kind.values:
        raise ClientDataError(_("Choose who is registering."), code="kind")
    for name in NAME_FIELDS:
        clean[name] = check_name(clean[name], name)
    if kind == Client.Kind.LEGAL_ENTITY:
        check_bin(clean["bin"])
        check_iin(clean["signer_iin"])
        if not clean["legal_name"] or not clean["signer_surname"] or not clean["signer_given_name"]:
            raise ClientDataError(
                _("Enter the entity's name and the signer's surname and name."), code="name"
            )
        clean["iin"] = ""
    else:
        check_iin(clean["iin"])
        clean["bin"] = ""
        if not clean["surname"] or not clean["given_name"]:
            raise ClientDataError(_("Enter your surname and name as in your identity document."), code="name")
    # The registration address (an entity's legal address) goes into the contract's parties' details.
    clean["address"] = check_address(clean["address"])
    clean["consent_text"] = text
    clean["consent_sha256"] = sha
    clean["consent_at"] = timezone.now().isoformat()
    return clean


def already_registered(clean: dict) -> str:
    """'iin_taken', 'bin_taken', 'phone_taken' or '' (for `start` only; never shown to the applicant)."""
    if clean["kind"] == Client.Kind.LEGAL_ENTITY:
        if Client.objects.filter(bin=clean["bin"]).exists():
            return "bin_taken"
    elif Client.objects.filter(iin=clean["iin"]).exists():
        return "iin_taken"
    if Client.objects.filter(phone=clean["phone"]).exists():
        return "phone_taken"
    return ""


def start(data: dict, *, channel: str = "web", address: str = "") -> OtpChallenge:
    """The same answer for a new and an already registered IIN/BIN/phone: a challenge for the phone.

    New data: the SMS carries the code. Known data: the SMS tells the phone's owner that the IIN, BIN
    or number already has a cabinet (sign in or recover the password) and carries no code, so the
    registration cannot go on. Throttling is the same in both cases (per phone, per address).
    """
    from qaryz.core import ratelimit

    clean = clean_registration(data)
    clean["channel"] = channel
    if address and not ratelimit.allow(
        "registration", address, limit=settings.ACCESS_START_PER_ADDRESS_PER_HOUR, window=3600
    ):
        raise otp.OtpError("throttled", wait_seconds=3600)
    taken = already_registered(clean)
    if taken:
        return otp.issue(
            clean["phone"],
            "registration",
            context={"decoy": True, "notice": taken},
            language=clean["language"],
        )
    return otp.issue(clean["phone"], "registration", context=clean, language=clean["language"])


def verify_code(public_id: str, code: str) -> OtpChallenge:
    """Correct code: the challenge is verified (not yet consumed) until the password is set."""
    return otp.verify(public_id, code, purpose="registration", consume=False)


def verified_challenge(public_id: str) -> OtpChallenge:
    challenge = OtpChallenge.objects.filter(public_id=public_id, purpose="registration").first()
    if challenge is None or challenge.verified_at is None or challenge.consumed_at is not None:
        raise AccessError(_("Start the registration again."), code="restart")
    if (timezone.now() - challenge.verified_at).total_seconds() > settings.ACCESS_STEP_SECONDS:
        raise AccessError(_("Too much time has passed: start the registration again."), code="restart")
    return challenge


def check_password_for(challenge: OtpChallenge, password: str) -> None:
    ctx = challenge.context
    validate_client_password(
        password,
        phone=ctx["phone"],
        surname=ctx.get("surname", ""),
        given_name=ctx.get("given_name", ""),
        iin=ctx.get("iin") or ctx.get("signer_iin", ""),
    )


def complete(public_id: str, password: str) -> Client:
    """Create the client (REGISTERED) and its Argon2 credential in one transaction."""
    from django.contrib.auth.hashers import make_password

    from qaryz.access.services import antifraud_check

    ctx = verified_challenge(public_id).context
    who = ctx.get("iin") or ctx.get("bin") or ""
    antifraud_check("registration", None, subject=f"registration:{who}", iin=who, phone=ctx.get("phone", ""))
    with transaction.atomic():
        challenge = verified_challenge(public_id)
        challenge = OtpChallenge.objects.select_for_update().get(pk=challenge.pk)
        if challenge.consumed_at is not None:
            raise AccessError(_("Start the registration again."), code="restart")
        try:
            check_password_for(challenge, password)
        except ValidationError:
            raise
        ctx = challenge.context
        if not ctx.get("consent_text") or not ctx.get("consent_at"):
            raise AccessError(_("Start the registration again."), code="restart")
        signer = None
        if ctx["kind"] == Client.Kind.LEGAL_ENTITY:
            signer = SignerData(
                ctx["signer_surname"], ctx["signer_given_name"], ctx["signer_patronymic"], ctx["signer_iin"]
            )
        client = register_client(
            kind=ctx["kind"],
            phone=ctx["phone"],
            iin=ctx.get("iin", ""),
            bin=ctx.get("bin", ""),
            surname=ctx.get("surname", ""),
            given_name=ctx.get("given_name", ""),
            patronymic=ctx.get("patronymic", ""),
            legal_name=ctx.get("legal_name", ""),
            preferred_language=ctx.get("language", "ru"),
            signer=signer,
            address=ctx.get("address", ""),
        )
        record_consent(
            client,
            kind=Consent.Kind.PERSONAL_DATA,
            text=ctx["consent_text"],
            language=ctx.get("language", "ru"),
            given_at=dt.datetime.fromisoformat(ctx["consent_at"]),
            channel=ctx.get("channel", "web"),
        )
        ClientCredential.objects.create(
            client=client, password_hash=make_password(password), password_changed_at=timezone.now()
        )
        challenge.consumed_at = timezone.now()
        challenge.context = {"client_id": client.pk}  # registration data no longer kept here
        challenge.save(update_fields=["consumed_at", "context"])
    audit("access.cabinet_activated", category="security", actor=client, target=client)
    return client
