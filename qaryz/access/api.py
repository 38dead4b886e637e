"""Mobile API of the access room (R-ONB-8, R-AUTH-1..6, R-MOB-1), mounted under /api/v1/access/.

Bearer tokens are short-lived (API_TOKEN_SECONDS idle, API_TOKEN_MAX_SECONDS absolute) and stored
only as SHA-256; the app keeps them in the OS keystore. Secrets are never echoed in answers.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from qaryz.access import consent, otp, registration, security_keys, services, stepup
from qaryz.access.api_auth import ClientBearer, answer_language
from qaryz.access.models import ClientSession
from qaryz.clients.models import Client
from qaryz.clients.services import ClientDataError
from qaryz.core import ratelimit
from qaryz.core.api_errors import not_found

router = Router(tags=["access"])


class RegisterIn(Schema):
    kind: str = "individual"
    iin: str = ""
    bin: str = ""
    surname: str = ""
    given_name: str = ""
    patronymic: str = ""
    legal_name: str = ""
    signer_surname: str = ""
    signer_given_name: str = ""
    signer_patronymic: str = ""
    signer_iin: str = ""
    phone: str
    # Required: checked by the service (a clear 400, as for every other field), printed in the
    # contract's parties' details.
    address: str = Field(
        "",
        description="registration address (a legal entity's legal address): required, 10-200 characters "
        "of letters, digits, spaces and address punctuation",
    )
    language: str = "ru"
    # Consent to personal-data processing: the app shows GET /register/consent in the interface
    # language; ``pd_consent`` must be true and ``consent_sha256`` (optional) names the text shown.
    pd_consent: bool = False
    consent_sha256: str = ""


class ConsentOut(Schema):
    language: str
    text: str
    sha256: str


class ChallengeOut(Schema):
    challenge_id: str
    method: str
    expires_in: int


class CodeIn(Schema):
    challenge_id: str
    code: str


class ContinuationOut(Schema):
    registration_token: str


class CompleteIn(Schema):
    registration_token: str
    password: str
    device_id: str = ""


class TokenOut(Schema):
    access_token: str
    token_type: str = Field(
        "Bearer", description="Bearer (unbound token) or DPoP (bound to the device key of the proof)"
    )
    expires_in: int
    status: str
    # Only when the sign-in carried a DPoP proof (docs/devices.md): the device is bound to its key.
    refresh_token: str | None = Field(
        None, description="bound tokens only: renew at POST /api/v1/devices/token"
    )
    refresh_expires_in: int | None = None
    device_id: str | None = Field(None, description="bound tokens only: the registered device")


class LoginIn(Schema):
    phone: str
    password: str


class LoginCodeIn(CodeIn):
    device_id: str = ""


class KeyOptionsIn(Schema):
    challenge_id: str


class KeyOptionsOut(Schema):
    publicKey: dict  # the WebAuthn name, passed to the platform authenticator API as is


class KeyVerifyIn(Schema):
    challenge_id: str
    credential: dict  # the PublicKeyCredential in its JSON form (base64url binary fields)
    device_id: str = ""


class ResendIn(Schema):
    challenge_id: str


class RecoverIn(Schema):
    phone: str
    id_number: str  # the IIN (individuals, IEs) or BIN (legal entities)


class RecoveryTokenOut(Schema):
    recovery_token: str
    expires_in: int


class NewPasswordIn(Schema):
    password: str


class MeOut(Schema):
    id: int
    kind: str
    status: str
    display_name: str
    phone: str
    biometrics_done: bool
    eds_done: bool
    eds_required: bool
    # A legal entity (R-ONB-2): the representative's authority document and the signer's ID.
    documents_required: bool = False
    authority_done: bool = True
    signer_document_done: bool = True
    aml_pending: bool = False
    problems: list[str] = []


class RepresentativeOut(Schema):
    authority: str
    document_received: bool


def _challenge(ch) -> dict:
    return {"challenge_id": ch.public_id, "method": ch.method, "expires_in": settings.OTP_TTL_SECONDS}


def _token_out(client: Client, request: HttpRequest, device_id: str) -> dict:
    """A full-scope token for the signed-in client (the answer of every sign-in step).

    With a ``DPoP`` proof header (the app's device key, no ``ath``) the app instance is bound to
    that key: a short-lived DPoP token and a rotating refresh token. Without it: an unbound
    bearer token, as before (web-based and server clients)."""
    from qaryz.devices.services import PROOF_HEADER, sign_in_device

    if request.headers.get(PROOF_HEADER):
        return sign_in_device(client, request, name=device_id)
    token, _session = services.issue_api_token(client, request=request, device_id=device_id)
    return {"access_token": token, "expires_in": settings.API_TOKEN_SECONDS, "status": client.status}


def _refuse(status: int, message: str) -> HttpError:
    return HttpError(status, message)


def _antifraud_login(client: Client, device_id: str) -> None:
    try:
        services.antifraud_check("login", client, device_id=device_id)
    except services.AccessError as exc:
        raise _refuse(403, exc.message) from None


@router.get("/register/consent", response=ConsentOut, auth=None)
def register_consent(request: HttpRequest, language: str = "ru") -> dict:
    """The consent to personal-data processing to show before registration (ru, kk or en)."""
    language = language if language in consent.LANGUAGES else "ru"
    text = consent.consent_text(language)
    return {"language": language, "text": text, "sha256": consent.text_sha256(text)}


@router.post("/register", response=ChallengeOut, auth=None)
def register_start(request: HttpRequest, payload: RegisterIn) -> dict:
    try:
        return _challenge(
            registration.start(payload.dict(), channel="api", address=ratelimit.client_address(request))
        )
    except ClientDataError as exc:
        raise _refuse(400, "; ".join(exc.messages)) from None
    except otp.OtpError as exc:
        raise _refuse(429 if exc.reason == "throttled" else 400, exc.message) from None


@router.post("/register/verify", response=ContinuationOut, auth=None)
def register_verify(request: HttpRequest, payload: CodeIn) -> dict:
    try:
        challenge = registration.verify_code(payload.challenge_id, payload.code)
    except otp.OtpError as exc:
        raise _refuse(400, exc.message) from None
    return {"registration_token": otp.issue_continuation(challenge)}


@router.post("/register/complete", response=TokenOut, auth=None)
def register_complete(request: HttpRequest, payload: CompleteIn) -> dict:
    challenge = otp.by_continuation(payload.registration_token, "registration")
    if challenge is None:
        raise _refuse(400, _("Start the registration again."))
    try:
        client = registration.complete(challenge.public_id, payload.password)
    except ValidationError as exc:
        raise _refuse(400, "; ".join(exc.messages)) from None
    except services.AccessError as exc:
        raise _refuse(400, exc.message) from None
    return _token_out(client, request, payload.device_id)


@router.post("/otp/resend", response=ChallengeOut, auth=None)
def resend(request: HttpRequest, payload: ResendIn) -> dict:
    try:
        return _challenge(otp.resend(payload.challenge_id))
    except otp.OtpError as exc:
        raise _refuse(429 if exc.reason == "throttled" else 400, exc.message) from None


@router.post("/login", response=ChallengeOut, auth=None)
def login(request: HttpRequest, payload: LoginIn) -> dict:
    try:
        client = services.client_check_password(payload.phone, payload.password)
        return _challenge(services.begin_client_login(client))
    except services.AccessError as exc:
        raise _refuse(423 if exc.code == "locked" else 401, exc.message) from None
    except otp.OtpError as exc:
        raise _refuse(429 if exc.reason == "throttled" else 400, exc.message) from None


@router.post("/login/verify", response=TokenOut, auth=None)
def login_verify(request: HttpRequest, payload: LoginCodeIn) -> dict:
    try:
        client = services.client_verify_second_factor(payload.challenge_id, payload.code)
    except otp.OtpError as exc:
        raise _refuse(401, exc.message) from None
    _antifraud_login(client, payload.device_id)
    return _token_out(client, request, payload.device_id)


@router.post("/login/key/options", response=KeyOptionsOut, auth=None)
def login_key_options(request: HttpRequest, payload: KeyOptionsIn) -> dict:
    """Second step with a security key (challenge method ``webauthn``): assertion options."""
    try:
        options = security_keys.login_options(payload.challenge_id, security_keys.relying_party(request))
    except security_keys.KeyRefused as exc:
        raise _refuse(400, exc.message) from None
    return {"publicKey": options}


@router.post("/login/key/verify", response=TokenOut, auth=None)
def login_key_verify(request: HttpRequest, payload: KeyVerifyIn) -> dict:
    """The signed assertion; a bearer token when the key, challenge, origin and counter check out."""
    try:
        client = security_keys.login_verify(
            payload.challenge_id, payload.credential, security_keys.relying_party(request), request=request
        )
    except security_keys.KeyRefused as exc:
        raise _refuse(401, exc.message) from None
    _antifraud_login(client, payload.device_id)
    return _token_out(client, request, payload.device_id)


# --- Password recovery: SMS code AND a fresh biometric check (R-AUTH-5), as on the web ----------
@router.post("/recover", response=ChallengeOut, auth=None)
def recover_start(request: HttpRequest, payload: RecoverIn) -> dict:
    """Always answers with a challenge; an SMS goes out only when phone and IIN/BIN match."""
    try:
        return _challenge(
            stepup.start_recovery(payload.phone, payload.id_number, address=ratelimit.client_address(request))
        )
    except otp.OtpError as exc:
        raise _refuse(429 if exc.reason == "throttled" else 400, exc.message) from None


@router.post("/recover/verify", response=RecoveryTokenOut, auth=None)
def recover_verify(request: HttpRequest, payload: LoginCodeIn) -> dict:
    """The SMS code → a recovery-scope token: it opens the biometric check (purpose ``recovery``,
    /api/v1/biometrics/…) and /recover/complete, nothing else."""
    try:
        client = stepup.verify_recovery_code(payload.challenge_id, payload.code)
    except otp.OtpError as exc:
        raise _refuse(400, exc.message) from None
    token, _session = services.issue_api_token(
        client, request=request, device_id=payload.device_id, scope=ClientSession.Scope.RECOVERY
    )
    return {"recovery_token": token, "expires_in": settings.API_TOKEN_SECONDS}


@router.post("/recover/complete", auth=ClientBearer(allow_unconfirmed=True, allow_recovery=True))
def recover_complete(request: HttpRequest, payload: NewPasswordIn) -> dict:
    """The new password, once the biometric check passed; every session and token ends."""
    session = request.client_session  # type: ignore[attr-defined]
    if session.scope != ClientSession.Scope.RECOVERY:
        raise _refuse(403, _("Start the password recovery first."))
    try:
        stepup.complete_recovery(request.auth, payload.password, request=request)
    except ValidationError as exc:
        raise _refuse(400, "; ".join(exc.messages)) from None
    except services.AccessError as exc:
        raise _refuse(400, exc.message) from None
    return {"status": "ok"}  # complete_recovery ended every session, this token's too


@router.post("/logout", auth=ClientBearer(allow_unconfirmed=True))
def logout(request: HttpRequest) -> dict:
    from qaryz.devices.services import end_session_and_family

    end_session_and_family(request.client_session, "logout")  # type: ignore[attr-defined]
    return {"status": "ok"}


@router.get("/me", response=MeOut, auth=ClientBearer(allow_unconfirmed=True))
def me(request: HttpRequest) -> dict:
    client = stepup.refresh_registration(request.auth)
    req = stepup.registration_requirements(client)
    return {
        "id": client.pk,
        "kind": client.kind,
        "status": client.status,
        "display_name": client.display_name,
        "phone": client.phone,
        "biometrics_done": req.biometrics,
        "eds_done": req.eds,
        "eds_required": req.eds_required,
        "documents_required": req.documents_required,
        "authority_done": req.authority,
        "signer_document_done": req.signer_document,
        "aml_pending": req.aml_pending,
        "problems": list(req.problems),
    }


@router.post(
    "/register/representative",
    response={200: RepresentativeOut},
    auth=ClientBearer(allow_unconfirmed=True),
)
def register_representative(request: HttpRequest) -> dict:
    """A legal entity's representative document (R-ONB-2), multipart: ``authority``
    (``appointment_order`` or ``power_of_attorney``) and ``scan`` (PDF, JPEG or PNG, up to 8 MB).
    The signer's ID card goes to POST /api/v1/biometrics/document, as for a person."""
    from qaryz.clients.services import set_signer_authority

    client = request.auth
    if client.kind != Client.Kind.LEGAL_ENTITY:
        raise _refuse(400, _("Only a legal entity attaches a representative's documents."))
    if client.status != Client.Status.REGISTERED:
        raise _refuse(400, _("The registration is already confirmed."))
    upload = request.FILES.get("scan")
    try:
        signer = set_signer_authority(
            client,
            authority=request.POST.get("authority", ""),
            scan=upload.read() if upload is not None else b"",
            actor=client,
        )
    except ClientDataError as exc:
        raise _refuse(400, "; ".join(exc.messages)) from None
    return {"authority": signer.authority, "document_received": bool(signer.authority_scan_ref)}


# --- Password change and phone / bank change (R-AUTH-6, R-ONB-6): the web's steps, one by one ----
class ChangePasswordIn(Schema):
    current: str = Field(..., max_length=128)
    password: str = Field(..., max_length=128)


class ChangeIn(Schema):
    purpose: Literal["change_phone", "change_bank"]
    phone: str = Field("", max_length=30, description="change_phone: the new mobile number")
    kind: str = Field("", max_length=10, description="change_bank: iban or card")
    value: str = Field("", max_length=40, description="change_bank: the IBAN or card number")


class ChangeStepsOut(Schema):
    phone_verified: bool = Field(..., description="the code sent to the new number was entered (phone only)")
    biometrics: bool = Field(..., description="a fresh biometric check with purpose = the change's purpose")
    eds: bool = Field(..., description="the change request is signed with the EDS")
    ready: bool


class ChangeOut(Schema):
    id: int
    purpose: str
    status: str = Field(..., description="open, done or cancelled (a newer change of the same kind)")
    new_value: str = Field(..., description="the new phone, or the new bank details masked")
    biometrics_purpose: str
    steps: ChangeStepsOut
    phone_challenge: ChallengeOut | None = Field(
        None, description="change_phone, on creation: the code sent to the NEW number"
    )


class ChangeCodeIn(Schema):
    challenge_id: str = Field(..., max_length=64)
    code: str = Field(..., max_length=8)


class SigningRequestRefOut(Schema):
    signing_request_id: str = Field(
        ..., description="sign it with GET/POST /api/v1/signatures/requests/{id}[/submit]"
    )


class ChangeSigningOut(Schema):
    signing_request_id: str = Field(
        ..., description="sign it with GET/POST /api/v1/signatures/requests/{id}[/submit]"
    )


def _masked(step) -> str:
    if step.purpose == "change_phone":
        return step.payload.get("phone", "")
    from qaryz.clients.models import BankAccount

    return BankAccount(value=step.payload.get("value", "")).masked  # as the profile shows it


def _change_out(step, challenge=None) -> dict:
    status = stepup.change_status(step)
    return {
        "id": step.pk,
        "purpose": step.purpose,
        "status": step.status,
        "new_value": _masked(step),
        "biometrics_purpose": step.purpose,
        "steps": {
            "phone_verified": status.phone_verified,
            "biometrics": status.biometrics,
            "eds": status.eds,
            "ready": status.ready,
        },
        "phone_challenge": _challenge(challenge) if challenge is not None else None,
    }


def _own_change(request: HttpRequest, step_id: int):
    step = stepup.change_step_of(request.auth, step_id)
    if step is None:
        raise not_found()
    return step


@router.post("/password", auth=ClientBearer(allow_unconfirmed=True), summary="Change the password")
def change_password(request: HttpRequest, payload: ChangePasswordIn) -> dict:
    """As the cabinet's password page: the current password is checked, every other session and
    token ends (this one stays), the client is notified."""
    with answer_language(request):
        try:
            services.change_client_password(
                request.auth,
                payload.current,
                payload.password,
                current=request.client_session,  # type: ignore[attr-defined]
                request=request,
            )
        except ValidationError as exc:
            raise _refuse(400, "; ".join(exc.messages)) from None
        except services.AccessError as exc:
            raise _refuse(400, exc.message) from None
    return {"status": "ok"}


@router.post(
    "/changes",
    response={201: ChangeOut},
    auth=ClientBearer(),
    summary="Start a phone or bank-details change (R-ONB-6): the same step-ups as the web",
)
def start_change(request: HttpRequest, payload: ChangeIn) -> Status:
    """Phone: a code goes to the NEW number (``phone_challenge``; enter it at …/phone-code). Both:
    pass a biometric session with purpose = ``purpose`` (/api/v1/biometrics/sessions), sign the
    request (…/signing, then /api/v1/signatures/requests/{id}/submit), then …/apply."""
    data = (
        {"phone": payload.phone}
        if payload.purpose == "change_phone"
        else {
            "kind": payload.kind,
            "value": payload.value,
        }
    )
    with answer_language(request):
        try:
            step, challenge = stepup.start_change(request.auth, payload.purpose, data)
        except ClientDataError as exc:
            raise _refuse(400, "; ".join(exc.messages)) from None
        except services.AccessError as exc:
            raise _refuse(400, exc.message) from None
        except otp.OtpError as exc:
            raise _refuse(429 if exc.reason == "throttled" else 400, exc.message) from None
    return Status(201, _change_out(step, challenge))


@router.get("/changes/{step_id}", response=ChangeOut, auth=ClientBearer(), summary="A change and its steps")
def get_change(request: HttpRequest, step_id: int) -> dict:
    return _change_out(_own_change(request, step_id))


@router.post(
    "/changes/{step_id}/phone-code",
    response=ChangeOut,
    auth=ClientBearer(),
    summary="The code sent to the new phone number (possession of the new number)",
)
def change_phone_code(request: HttpRequest, step_id: int, payload: ChangeCodeIn) -> dict:
    step = _own_change(request, step_id)
    if step.purpose != "change_phone":
        raise _refuse(400, _("Only a phone change needs a code."))
    with answer_language(request):
        try:
            stepup.verify_new_phone(step, payload.challenge_id, payload.code)
        except otp.OtpError as exc:
            raise _refuse(400, exc.message) from None
    return _change_out(step)


@router.post(
    "/changes/{step_id}/signing",
    response=ChangeSigningOut,
    auth=ClientBearer(),
    summary="The EDS signing request of the change (a new one once the last expired)",
)
def change_signing(request: HttpRequest, step_id: int) -> dict:
    step = _own_change(request, step_id)
    if step.status != "open":
        raise _refuse(400, _("This change has already been applied."))
    with answer_language(request):
        return {"signing_request_id": stepup.start_change_signature(step)}


@router.post(
    "/changes/{step_id}/apply",
    response=ChangeOut,
    auth=ClientBearer(),
    summary="Apply the change once every step is done; the old number is told of a phone change",
)
def apply_change(request: HttpRequest, step_id: int) -> dict:
    step = _own_change(request, step_id)
    with answer_language(request):
        try:
            stepup.apply_change(step, request=request)
        except ClientDataError as exc:
            raise _refuse(400, "; ".join(exc.messages)) from None
        except services.AccessError as exc:
            raise _refuse(400, exc.message) from None
    step.refresh_from_db()
    return _change_out(step)


# --- Registration EDS, second factor and security keys: the cabinet's pages, as operations -------
class SecondFactorKeyOut(Schema):
    id: int
    name: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None


class SecondFactorOut(Schema):
    method: str = Field(..., description="sms, totp or webauthn")
    method_label: str
    keys: list[SecondFactorKeyOut]


class TotpStartOut(Schema):
    enrolment_token: str = Field(..., description="give it back with the first code (valid 10 minutes)")
    secret: str = Field(..., description="base32 secret for the authenticator app")
    uri: str = Field(..., description="otpauth:// URI (what the web page shows as a QR code)")


class TotpIn(Schema):
    enrolment_token: str = Field(..., max_length=500)
    code: str = Field(..., max_length=8)


class KeyEnrolOptionsOut(Schema):
    enrolment_token: str = Field(..., description="give it back with the credential (single use)")
    publicKey: dict  # the WebAuthn name, passed to the platform authenticator API as is


class KeyEnrolIn(Schema):
    enrolment_token: str = Field(..., max_length=2000)
    credential: dict  # the PublicKeyCredential in its JSON form (base64url binary fields)
    name: str = Field("", max_length=100)


# Pending enrolments travel as signed, short-lived tokens bound to the bearer session (the web keeps
# them in its server-side session; an API client has none).
ENROLMENT_SECONDS = 600


def _enrolment_token(request: HttpRequest, kind: str, state: dict) -> str:
    from django.core import signing

    session = request.client_session  # type: ignore[attr-defined]
    return signing.dumps({"s": session.pk, "c": request.auth.pk, "state": state}, salt=f"qaryz.access.{kind}")


def _enrolment_state(request: HttpRequest, kind: str, token: str) -> dict:
    from django.core import signing

    session = request.client_session  # type: ignore[attr-defined]
    try:
        data = signing.loads(token, salt=f"qaryz.access.{kind}", max_age=ENROLMENT_SECONDS)
    except signing.BadSignature:
        raise _refuse(400, _("Start again: this step has expired.")) from None
    if data.get("s") != session.pk or data.get("c") != request.auth.pk:
        raise _refuse(400, _("Start again: this step has expired."))
    return data["state"]


def _second_factor_out(client: Client) -> dict:
    credential = client.credential
    return {
        "method": credential.second_factor,
        "method_label": str(credential.get_second_factor_display()),
        "keys": [
            {"id": k.pk, "name": k.name, "created_at": k.created_at, "last_used_at": k.last_used_at}
            for k in security_keys.client_keys(client)
        ],
    }


@router.post(
    "/register/signing",
    response=SigningRequestRefOut,
    auth=ClientBearer(allow_unconfirmed=True),
    summary="The EDS signing request of the registration statement (R-ONB-4)",
)
def registration_signing(request: HttpRequest) -> dict:
    """As the web's "Sign with EDS" on the finish-registration page: sign it with
    /api/v1/signatures/requests/{id}/submit; GET /me then shows ``eds_done``."""
    if request.auth.status != Client.Status.REGISTERED:
        raise _refuse(400, _("The registration is already confirmed."))
    with answer_language(request):
        return {"signing_request_id": stepup.start_registration_signature(request.auth)}


@router.get(
    "/second-factor",
    response=SecondFactorOut,
    auth=ClientBearer(allow_unconfirmed=True),
    summary="The second factor of sign-in and the enrolled security keys",
)
def second_factor(request: HttpRequest) -> dict:
    with answer_language(request):
        return _second_factor_out(request.auth)


@router.post(
    "/second-factor/totp/start",
    response=TotpStartOut,
    auth=ClientBearer(allow_unconfirmed=True),
    summary="Start enrolling an authenticator app: a new secret",
)
def totp_start(request: HttpRequest) -> dict:
    secret = services.new_totp_secret()
    return {
        "enrolment_token": _enrolment_token(request, "totp", {"secret": secret}),
        "secret": secret,
        "uri": services.totp_uri(secret, request.auth.phone),
    }


@router.post(
    "/second-factor/totp",
    response=SecondFactorOut,
    auth=ClientBearer(allow_unconfirmed=True),
    summary="Finish enrolling the authenticator app with its first code",
)
def totp_enrol(request: HttpRequest, payload: TotpIn) -> dict:
    with answer_language(request):
        state = _enrolment_state(request, "totp", payload.enrolment_token)
        try:
            services.enrol_client_totp(request.auth, state["secret"], payload.code)
        except services.AccessError as exc:
            raise _refuse(400, exc.message) from None
        return _second_factor_out(Client.objects.get(pk=request.auth.pk))


@router.post(
    "/second-factor/sms",
    response=SecondFactorOut,
    auth=ClientBearer(allow_unconfirmed=True),
    summary="Sign-in codes by SMS again (the keys stay enrolled)",
)
def second_factor_sms(request: HttpRequest) -> dict:
    client = request.auth
    if client.credential.second_factor == "webauthn":
        security_keys.stop_using_keys(client, request=request)
    else:
        services.disable_client_totp(client)
    with answer_language(request):
        return _second_factor_out(Client.objects.get(pk=client.pk))


@router.post(
    "/second-factor/keys/options",
    response=KeyEnrolOptionsOut,
    auth=ClientBearer(allow_unconfirmed=True),
    summary="Enrol a security key: options for the platform authenticator (WebAuthn)",
)
def key_enrol_options(request: HttpRequest) -> dict:
    state: dict = {}
    options = security_keys.registration_options(request.auth, security_keys.relying_party(request), state)
    return {"enrolment_token": _enrolment_token(request, "webauthn", state), "publicKey": options}


@router.post(
    "/second-factor/keys",
    response=SecondFactorOut,
    auth=ClientBearer(allow_unconfirmed=True),
    summary="Enrol a security key: the authenticator's registration response",
)
def key_enrol(request: HttpRequest, payload: KeyEnrolIn) -> dict:
    from django.core.cache import cache

    with answer_language(request):
        state = _enrolment_state(request, "webauthn", payload.enrolment_token)
        # Single use, as the web's session entry: a second answer to the same challenge is refused.
        used = (state.get(security_keys.ENROL_SESSION_KEY) or {}).get("challenge", "")
        if not used or not cache.add(f"qaryz-webauthn-enrol:{used}", 1, ENROLMENT_SECONDS):
            raise _refuse(400, security_keys.KeyRefused("unknown").message)
        try:
            security_keys.enrol_key(
                request.auth,
                security_keys.relying_party(request),
                state,
                payload.credential,
                payload.name,
                request=request,
            )
        except security_keys.KeyRefused as exc:
            raise _refuse(400, exc.message) from None
        return _second_factor_out(Client.objects.get(pk=request.auth.pk))


@router.post(
    "/second-factor/keys/use",
    response=SecondFactorOut,
    auth=ClientBearer(allow_unconfirmed=True),
    summary="Make the enrolled security keys the second factor again",
)
def keys_use(request: HttpRequest) -> dict:
    with answer_language(request):
        try:
            security_keys.use_keys(request.auth, request=request)
        except security_keys.KeyRefused as exc:
            raise _refuse(400, exc.message) from None
        return _second_factor_out(Client.objects.get(pk=request.auth.pk))


@router.post(
    "/second-factor/keys/{key_id}/remove",
    response=SecondFactorOut,
    auth=ClientBearer(allow_unconfirmed=True),
    summary="Remove a security key (without keys left, SMS codes again)",
)
def key_remove(request: HttpRequest, key_id: int) -> dict:
    if not security_keys.remove_key(request.auth, key_id, request=request):
        raise not_found()
    with answer_language(request):
        return _second_factor_out(Client.objects.get(pk=request.auth.pk))
