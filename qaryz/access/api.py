"""Mobile API of the access room (R-ONB-8, R-AUTH-1..6, R-MOB-1), mounted under /api/v1/access/.

Bearer tokens are short-lived (API_TOKEN_SECONDS idle, API_TOKEN_MAX_SECONDS absolute) and stored
only as SHA-256; the app keeps them in the OS keystore. Secrets are never echoed in answers.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from qaryz.access import consent, otp, registration, security_keys, services, stepup
from qaryz.access.api_auth import ClientBearer
from qaryz.access.models import ClientSession
from qaryz.clients.models import Client
from qaryz.clients.services import ClientDataError
from qaryz.core import ratelimit

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
    token_type: str = "Bearer"  # noqa: S105 - a scheme name, not a secret
    expires_in: int
    status: str


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
    """A full-scope bearer token for the signed-in client (the answer of every sign-in step)."""
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
        raise _refuse(400, "Start the registration again.")
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
        raise _refuse(403, "Start the password recovery first.")
    try:
        stepup.complete_recovery(request.auth, payload.password, request=request)
    except ValidationError as exc:
        raise _refuse(400, "; ".join(exc.messages)) from None
    except services.AccessError as exc:
        raise _refuse(400, exc.message) from None
    return {"status": "ok"}  # complete_recovery ended every session, this token's too


@router.post("/logout", auth=ClientBearer(allow_unconfirmed=True))
def logout(request: HttpRequest) -> dict:
    services.end_session(request.client_session, "logout")  # type: ignore[attr-defined]
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
