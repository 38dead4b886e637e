"""Registration confirmation, phone/bank change and password recovery: the flows that need the
biometrics and signature rooms (R-ONB-4, R-ONB-6, R-AUTH-5).

Those rooms are imported lazily inside the four ``*_check``/``consume`` functions below – the
only places that talk to them – so tests can replace exactly these seams.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qaryz.access import otp
from qaryz.access.models import ClientSession, StepUp
from qaryz.access.services import AccessError, _notify, end_other_sessions, set_client_password
from qaryz.clients.models import Client
from qaryz.records.services import record_event as audit


# --- Seams to the biometrics and signatures rooms ----------------------------------------------
def biometric_check(client: Client, purpose: str, within_seconds: int) -> Any:
    """The passed, unused biometric verification for ``purpose`` (or None)."""
    from qaryz.biometrics.selectors import fresh_verification

    return fresh_verification(client, purpose, within_seconds=within_seconds)


def consume_biometric(verification: Any) -> None:
    from qaryz.biometrics.services import consume_verification

    consume_verification(verification)


def create_signing_request(client: Client, purpose: str, content: bytes, title: str) -> str:
    from qaryz.signatures.services import create_signing_request as _create

    return str(_create(client, purpose, content, title=title).pk)


def usable_signing_request(reference: str) -> bool:
    """True while ``reference`` is signed or can still be signed; an expired or closed request
    must be replaced by a new one (its expiry is inside the signed bytes)."""
    from qaryz.signatures.selectors import keep_signing_request

    return keep_signing_request(reference)


def signature_check(reference: str) -> Any:
    """The accepted signature verification of a signing request (or None)."""
    if not reference:
        return None
    from qaryz.signatures.models import SigningRequest
    from qaryz.signatures.selectors import accepted_signature

    request = SigningRequest.objects.filter(pk=reference).first()
    return accepted_signature(request) if request is not None else None


# --- Registration (R-ONB-4, R-ONB-8) -----------------------------------------------------------
@dataclass(frozen=True)
class Requirements:
    biometrics: bool
    eds: bool
    eds_required: bool
    # A legal entity's representative (R-ONB-2): the order / power of attorney and the signer's
    # identity document (read from the card at the biometric step).
    documents_required: bool = False
    authority: bool = True
    signer_document: bool = True
    # What blocks confirmation whatever was done (translated): a name that does not reconcile
    # (R-ONB-3), an AML refusal or a check still running (R-AML-1).
    problems: tuple[str, ...] = ()
    aml_pending: bool = False

    @property
    def satisfied(self) -> bool:
        return (
            self.biometrics
            and (self.eds or not self.eds_required)
            and self.authority
            and self.signer_document
            and not self.problems
            and not self.aml_pending
        )


def registration_step_up(client: Client) -> StepUp:
    step = StepUp.objects.filter(client=client, purpose=StepUp.Purpose.REGISTRATION).order_by("-id").first()
    if step is None:
        step, _created = StepUp.objects.get_or_create(
            client=client, purpose=StepUp.Purpose.REGISTRATION, status=StepUp.Status.OPEN
        )
    return step


PART_LABELS = {
    "surname": gettext_lazy("surname"),
    "given_name": gettext_lazy("name"),
    "patronymic": gettext_lazy("patronymic"),
}


def registered_name(client: Client) -> Any:
    """The name the client registered with: the person's, or a legal entity's signer's."""
    from qaryz.clients.models import LegalEntitySigner
    from qaryz.clients.names import FullName

    if client.kind == Client.Kind.LEGAL_ENTITY:
        signer = LegalEntitySigner.objects.filter(client=client).first()
        if signer is None:
            return FullName()
        return FullName(signer.surname, signer.given_name, signer.patronymic)
    return FullName(client.surname, client.given_name, client.patronymic)


def certificate_name_problem(client: Client, signature: Any) -> str:
    """A translated message when the EDS certificate's holder name does not reconcile with the
    registration data (R-ONB-3), "" when it does."""
    from qaryz.clients.names import certificate_name, mismatched_parts

    signer = (getattr(signature, "result", None) or {}).get("signer") or {}
    cert = certificate_name(
        common_name=signer.get("common_name") or getattr(signature, "signer_name", ""),
        surname=signer.get("surname", ""),
        given_name=signer.get("given_name", ""),
    )
    registered = registered_name(client)
    parts = mismatched_parts(registered, cert)
    if not parts:
        return ""
    return _(
        "The name in the EDS certificate (%(certificate)s) does not match the registration data "
        "(%(registered)s): %(parts)s differs. Sign with the certificate of the person registering "
        "or contact the MFO to correct the data."
    ) % {
        "certificate": " ".join(p for p in (cert.surname, cert.given_name, cert.patronymic) if p),
        "registered": " ".join(
            p for p in (registered.surname, registered.given_name, registered.patronymic) if p
        ),
        "parts": ", ".join(str(PART_LABELS[p]) for p in parts),
    }


def registration_screening(client: Client) -> Any:
    from qaryz.compliance.selectors import screening_for

    return screening_for("registration", str(client.pk))


def _aml_state(client: Client) -> tuple[str, bool]:
    """(refusal message, waiting) from the client's registration screening (R-AML-1): an exact or
    confirmed hit on a refusal list refuses; a possible refusal-list match waits for the AML
    officer; a PEP match is enhanced review later and does not stop registration."""
    screening = registration_screening(client)
    if screening is None:
        return "", False
    if screening.refuses:
        return _("We cannot complete your registration. Contact the MFO."), False
    waiting = screening.review_status == screening.Review.PENDING and not screening.pep_only
    return "", waiting


def registration_requirements(client: Client) -> Requirements:
    step = registration_step_up(client)
    # An IE needs no EDS at registration (R-ONB-4); individuals and legal entities do.
    eds_required = client.kind != Client.Kind.ENTREPRENEUR
    documents_required = client.kind == Client.Kind.LEGAL_ENTITY
    if client.status == Client.Status.CONFIRMED:
        return Requirements(True, True, eds_required, documents_required)
    verification = biometric_check(client, "registration", settings.REGISTRATION_STEP_SECONDS)
    signed = signature_check(step.signing_request_ref) if eds_required else None
    problems = []
    if signed is not None:
        problem = certificate_name_problem(client, signed)
        if problem:
            problems.append(problem)
            signed = None
    authority = signer_document = True
    if documents_required:
        from qaryz.clients.models import LegalEntitySigner

        signer = LegalEntitySigner.objects.filter(client=client).first()
        authority = bool(signer and signer.authority and signer.authority_scan_ref)
        signer_document = bool(signer and signer.id_doc_number)
    refusal, aml_pending = _aml_state(client)
    if refusal:
        problems.append(refusal)
    return Requirements(
        biometrics=verification is not None,
        eds=signed is not None,
        eds_required=eds_required,
        documents_required=documents_required,
        authority=authority,
        signer_document=signer_document,
        problems=tuple(problems),
        aml_pending=aml_pending,
    )


def _signed_at() -> str:
    return timezone.localtime().strftime("%d.%m.%Y %H:%M:%S")


def registration_document(client: Client) -> bytes:
    """The statement the client signs with the EDS at registration, in the interface language
    (the active translation: ru, kk or en)."""
    from qaryz.core.selectors import mfo_profile_in

    mfo = mfo_profile_in()  # the active language's legal name
    lines = [
        _("Registration in the personal cabinet of %(mfo)s (BIN %(bin)s)")
        % {"mfo": mfo.legal_name, "bin": mfo.bin},
        _("Client: %(name)s") % {"name": client.display_name},
        _("IIN/BIN: %(number)s") % {"number": client.id_number},
        _("Mobile phone: %(phone)s") % {"phone": client.phone},
        _(
            "I confirm that the data above are mine and correct, and I register in the personal cabinet "
            "of the microfinance organisation."
        ),
        _("Date and time: %(when)s") % {"when": _signed_at()},
    ]
    return ("\n".join(lines) + "\n").encode()


def start_registration_signature(client: Client) -> str:
    """The signing request of the registration (a new one once the last expired); its reference."""
    step = registration_step_up(client)
    signed = signature_check(step.signing_request_ref)
    mismatched = signed is not None and certificate_name_problem(client, signed)
    if mismatched or not usable_signing_request(step.signing_request_ref):
        ref = create_signing_request(
            client, "registration", registration_document(client), title=_("Registration in the cabinet")
        )
        StepUp.objects.filter(pk=step.pk).update(signing_request_ref=ref)
        return ref
    return step.signing_request_ref


def refresh_registration(client: Client) -> Client:
    """Confirm the client once biometrics (and EDS unless an IE) passed; audited (R-ONB-4)."""
    from qaryz.clients.services import confirm_client

    if client.status != Client.Status.REGISTERED:
        return client
    req = registration_requirements(client)
    if req.satisfied and registration_screening(client) is None:
        # Every other step done: the client (for an entity: the entity and its signer) is screened
        # once against the current lists before the registration is confirmed (R-AML-1).
        from qaryz.compliance.services import screen_client

        screen_client(client, context="registration", context_id=str(client.pk), actor=client)
        req = registration_requirements(client)
    if not req.satisfied:
        return client
    verification = biometric_check(client, "registration", settings.REGISTRATION_STEP_SECONDS)
    step = registration_step_up(client)
    with transaction.atomic():
        client = confirm_client(client, data={"eds": req.eds, "eds_required": req.eds_required})
        StepUp.objects.filter(pk=step.pk).update(status=StepUp.Status.DONE, completed_at=timezone.now())
    if verification is not None:
        consume_biometric(verification)
    return client


# --- Phone and bank change (R-ONB-6) -----------------------------------------------------------
def start_change(client: Client, purpose: str, payload: dict) -> tuple[StepUp, otp.OtpChallenge | None]:
    from qaryz.clients.services import check_bank_details, normalize_phone

    if client.status != Client.Status.CONFIRMED:
        raise AccessError(_("Finish your registration first."), code="unconfirmed")
    if purpose == StepUp.Purpose.CHANGE_PHONE:
        phone = normalize_phone(payload.get("phone", ""))
        if phone == client.phone or Client.objects.filter(phone=phone).exists():
            raise AccessError(_("This phone number cannot be used."), code="phone_taken")
        payload = {"phone": phone}
    elif purpose == StepUp.Purpose.CHANGE_BANK:
        payload = {
            "kind": payload.get("kind", ""),
            "value": check_bank_details(payload.get("kind", ""), payload.get("value", "")),
        }
    else:
        raise AccessError(_("Unknown change."), code="purpose")
    with transaction.atomic():
        StepUp.objects.filter(client=client, purpose=purpose, status=StepUp.Status.OPEN).update(
            status=StepUp.Status.CANCELLED, completed_at=timezone.now()
        )
        step = StepUp.objects.create(client=client, purpose=purpose, payload=payload)
    challenge = None
    if purpose == StepUp.Purpose.CHANGE_PHONE:
        # The new number must be the client's: a code goes to it (possession).
        challenge = otp.issue(
            payload["phone"], "change_phone", context={"step_up": step.pk}, language=client.preferred_language
        )
    audit(
        "access.change_requested", category="security", actor=client, target=client, data={"purpose": purpose}
    )
    return step, challenge


def change_step_of(client: Client, step_id: int) -> StepUp | None:
    """The client's own phone or bank change ``step_id`` (None for anyone else's)."""
    return (
        StepUp.objects.filter(pk=step_id, client=client).exclude(purpose=StepUp.Purpose.REGISTRATION).first()
    )


def verify_new_phone(step: StepUp, public_id: str, code: str) -> None:
    challenge = otp.verify(public_id, code, purpose="change_phone")
    if challenge.context.get("step_up") != step.pk or challenge.phone != step.payload.get("phone"):
        raise otp.OtpError("unknown")
    StepUp.objects.filter(pk=step.pk).update(phone_verified_at=timezone.now())
    step.refresh_from_db()


def change_document(step: StepUp) -> bytes:
    """The request the client signs with the EDS to change the phone or bank details, in the
    interface language."""
    client = step.client
    if step.purpose == StepUp.Purpose.CHANGE_PHONE:
        what = _("Change the registered mobile number from %(old)s to %(new)s.") % {
            "old": client.phone,
            "new": step.payload["phone"],
        }
    else:
        what = _("Change the registered bank details to: %(value)s.") % {"value": step.payload["value"]}
    lines = [
        _("Request No. %(number)s of %(name)s, IIN/BIN %(id)s")
        % {"number": step.pk, "name": client.display_name, "id": client.id_number},
        what,
        _("Date and time: %(when)s") % {"when": _signed_at()},
    ]
    return ("\n".join(lines) + "\n").encode()


def start_change_signature(step: StepUp) -> str:
    if not usable_signing_request(step.signing_request_ref):
        title = (
            _("Change of phone number")
            if step.purpose == StepUp.Purpose.CHANGE_PHONE
            else _("Change of bank details")
        )
        ref = create_signing_request(step.client, step.purpose, change_document(step), title=str(title))
        StepUp.objects.filter(pk=step.pk).update(signing_request_ref=ref)
        step.signing_request_ref = ref
    return step.signing_request_ref


@dataclass(frozen=True)
class ChangeStatus:
    phone_verified: bool
    biometrics: bool
    eds: bool

    @property
    def ready(self) -> bool:
        return self.phone_verified and self.biometrics and self.eds


def change_status(step: StepUp) -> ChangeStatus:
    phone_ok = step.purpose != StepUp.Purpose.CHANGE_PHONE or step.phone_verified_at is not None
    verification = biometric_check(step.client, step.purpose, settings.ACCESS_STEP_SECONDS)
    return ChangeStatus(
        phone_ok, verification is not None, signature_check(step.signing_request_ref) is not None
    )


def apply_change(step: StepUp, *, request: Any = None) -> Client:
    """Apply a fully confirmed change; the old number is told about a phone change (R-AUTH-6)."""
    from qaryz.clients.services import set_bank_account, set_phone

    status = change_status(step)
    if step.status != StepUp.Status.OPEN or not status.ready:
        raise AccessError(_("The change is not confirmed yet: complete every step."), code="not_ready")
    verification = biometric_check(step.client, step.purpose, settings.ACCESS_STEP_SECONDS)
    client = step.client
    from qaryz.access.services import antifraud_check

    if step.purpose == StepUp.Purpose.CHANGE_PHONE:
        antifraud_check("phone_change", client, subject=f"stepup:{step.pk}", new_phone=step.payload["phone"])
    else:
        iban = step.payload["value"] if step.payload.get("kind") == "iban" else ""
        antifraud_check("bank_change", client, subject=f"stepup:{step.pk}", iban=iban)
    with transaction.atomic():
        if not StepUp.objects.filter(pk=step.pk, status=StepUp.Status.OPEN).update(
            status=StepUp.Status.DONE, completed_at=timezone.now()
        ):
            raise AccessError(_("This change has already been applied."), code="done")
        if step.purpose == StepUp.Purpose.CHANGE_PHONE:
            old_phone = client.phone
            client = set_phone(client, step.payload["phone"], actor=client)
        else:
            account = set_bank_account(
                client, kind=step.payload["kind"], value=step.payload["value"], actor=client
            )
    if verification is not None:
        consume_biometric(verification)
    if step.purpose == StepUp.Purpose.CHANGE_PHONE:
        _notify(client, "phone_changed", tail=client.phone[-4:], phone=old_phone)  # to the OLD number
        _notify(client, "phone_changed", tail=client.phone[-4:])
    else:
        _notify(client, "bank_changed", masked=account.masked)
    return client


# --- Password recovery: SMS code AND fresh biometrics (R-AUTH-5) ---------------------------------
def start_recovery(phone: str, id_number: str, *, address: str = "") -> otp.OtpChallenge:
    """Always the same answer: an SMS challenge. The code goes out only when phone and IIN/BIN match;
    otherwise (and when the matching phone is throttled) a decoy bound to no phone is returned, so the
    answer tells nothing and wrong guesses never use up the real client's hourly cap.

    ``address`` (the caller's network address) is limited to ACCESS_START_PER_ADDRESS_PER_HOUR starts,
    match or not: the only refusal, and the same for everyone.
    """
    from qaryz.clients.services import ClientDataError, normalize_phone
    from qaryz.core import ratelimit

    if address and not ratelimit.allow(
        "recovery", address, limit=settings.ACCESS_START_PER_ADDRESS_PER_HOUR, window=3600
    ):
        raise otp.OtpError("throttled", wait_seconds=3600)
    try:
        phone = normalize_phone(phone)
    except ClientDataError:
        phone = ""
    id_number = (id_number or "").strip()
    client = Client.objects.filter(phone=phone).first() if phone else None
    if client is not None and client.id_number == id_number and hasattr(client, "credential"):
        try:
            return otp.issue(
                phone, "recovery", context={"client_id": client.pk}, language=client.preferred_language
            )
        except otp.OtpError as exc:
            if exc.reason != "throttled":
                raise
    return otp.issue_decoy("recovery")


def verify_recovery_code(public_id: str, code: str) -> Client:
    challenge = otp.verify(public_id, code, purpose="recovery")
    client_id = challenge.context.get("client_id")
    if not client_id:
        raise otp.OtpError("wrong")
    return Client.objects.get(pk=client_id)


def recovery_biometrics_ok(client: Client) -> bool:
    return biometric_check(client, "recovery", settings.ACCESS_STEP_SECONDS) is not None


def complete_recovery(client: Client, new_password: str, *, request: Any = None) -> None:
    verification = biometric_check(client, "recovery", settings.ACCESS_STEP_SECONDS)
    if verification is None:
        raise AccessError(_("Pass the biometric check first."), code="biometrics")
    with transaction.atomic():
        set_client_password(client, new_password)
        ended = end_other_sessions(client, reason="password_recovered")
        audit(
            "access.password_recovered",
            category="security",
            actor=client,
            target=client,
            request=request,
            data={"sessions_ended": ended},
        )
    consume_biometric(verification)
    _notify(client, "password_recovered")


__all__ = ["ClientSession", "Requirements"]
