"""Client-facing access pages: login, registration, recovery, password and sign-in settings, changes.

Thin: parse the form, call a service, render. Pending steps live in the server-side session only.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qaryz.access import consent, otp, registration, security_keys, services, stepup
from qaryz.access.decorators import client_required
from qaryz.access.forms import (
    AuthorityForm,
    BankChangeForm,
    ChangePasswordForm,
    CodeForm,
    LoginForm,
    NewPasswordForm,
    PhoneChangeForm,
    RecoveryForm,
    RegistrationForm,
    TotpEnrolForm,
)
from qaryz.access.models import ClientSession, SecondFactor, StepUp
from qaryz.clients.models import Client, LegalEntitySigner
from qaryz.clients.services import ClientDataError
from qaryz.core import ratelimit
from qaryz.core.middleware import error_response

LOGIN_PENDING = "qaryz_login_challenge"
LOGIN_NEXT = "qaryz_login_next"
REG_PENDING = "qaryz_registration_challenge"
RECOVERY_PENDING = "qaryz_recovery_challenge"
TOTP_PENDING = "qaryz_totp_secret"


def _safe_next(request: HttpRequest, value: str | None, default: str = "/cabinet/") -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=False
    ):
        return value
    return default


def _error_messages(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


# --- Login (R-AUTH-1..4) ---------------------------------------------------------------------
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        client = None
        try:
            client = services.client_check_password(form.cleaned_data["phone"], form.cleaned_data["password"])
            challenge = services.begin_client_login(client)
        except services.AccessError as exc:
            form.add_error(None, exc.message)
        except otp.OtpError as exc:
            if exc.reason == "throttled" and client is not None and _pending_login_of(request, client):
                # Back on the login page seconds after a code was sent: that code is still valid.
                messages.info(request, _("We have just sent you a code: enter it here."))
                return redirect("access:login-code")
            form.add_error(None, exc.message)
        else:
            request.session[LOGIN_PENDING] = challenge.public_id
            request.session[LOGIN_NEXT] = _safe_next(request, request.GET.get("next"))
            return redirect("access:login-code")
    return render(request, "access/login.html", {"form": form})


def _pending_login_of(request: HttpRequest, client: Client) -> bool:
    """This browser already holds a live sign-in code challenge of this client."""
    public_id = request.session.get(LOGIN_PENDING)
    challenge = otp.get(public_id, "login") if public_id else None
    return (
        challenge is not None
        and challenge.context.get("client_id") == client.pk
        and challenge.verified_at is None
        and challenge.consumed_at is None
        and challenge.expires_at > timezone.now()
    )


def login_code_view(request: HttpRequest) -> HttpResponse:
    public_id = request.session.get(LOGIN_PENDING)
    challenge = otp.get(public_id, "login") if public_id else None
    if challenge is None:
        return redirect("access:login")
    if challenge.method == SecondFactor.WEBAUTHN:
        return render(request, "access/login_key.html", {"challenge": challenge})
    form = CodeForm(request.POST or None)
    if request.method == "POST" and "resend" in request.POST:
        try:
            otp.resend(challenge.public_id)
            messages.info(request, _("A new code has been sent."))
        except otp.OtpError as exc:
            messages.error(request, exc.message)
        return redirect("access:login-code")
    if request.method == "POST" and form.is_valid():
        try:
            client = services.client_verify_second_factor(challenge.public_id, form.cleaned_data["code"])
        except otp.OtpError as exc:
            form.add_error("code", exc.message)
            if (
                exc.reason in ("too_many", "expired", "used", "unknown")
                and challenge.method == SecondFactor.TOTP
            ):
                request.session.pop(LOGIN_PENDING, None)
        else:
            try:
                services.antifraud_check("login", client)
            except services.AccessError as exc:
                request.session.pop(LOGIN_PENDING, None)
                messages.error(request, exc.message)
                return redirect("access:login")
            next_url = request.session.get(LOGIN_NEXT, "/cabinet/")
            services.start_web_session(request, client)
            return redirect(next_url)
    return render(
        request,
        "access/code.html",
        {
            "form": form,
            "title": _("Sign-in confirmation"),
            "challenge": challenge,
            "hint": _("Enter the code from your authenticator app.")
            if challenge.method == SecondFactor.TOTP
            else _("We sent a code by SMS to your phone ending in %(tail)s.")
            % {"tail": challenge.phone[-4:]},
            "can_resend": challenge.method == SecondFactor.SMS,
        },
    )


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _key_refused(exc: security_keys.KeyRefused) -> JsonResponse:
    return JsonResponse({"error": exc.message, "restart": exc.restart}, status=400)


def _login_key_refused(request: HttpRequest, exc: security_keys.KeyRefused) -> JsonResponse:
    if exc.restart:  # this sign-in is over: back to the password step
        request.session.pop(LOGIN_PENDING, None)
    return _key_refused(exc)


@require_POST
def login_key_options_view(request: HttpRequest) -> HttpResponse:
    """Sign-in step 2 with a security key: options for navigator.credentials.get() (JSON)."""
    public_id = request.session.get(LOGIN_PENDING, "")
    try:
        options = security_keys.login_options(public_id, security_keys.relying_party(request))
    except security_keys.KeyRefused as exc:
        return _login_key_refused(request, exc)
    return JsonResponse({"publicKey": options})


@require_POST
def login_key_verify_view(request: HttpRequest) -> HttpResponse:
    """Sign-in step 2 with a security key: the signed assertion; a fresh session on success."""
    public_id = request.session.get(LOGIN_PENDING, "")
    try:
        client = security_keys.login_verify(
            public_id,
            _json_body(request).get("credential"),
            security_keys.relying_party(request),
            request=request,
        )
    except security_keys.KeyRefused as exc:
        return _login_key_refused(request, exc)
    try:
        services.antifraud_check("login", client)
    except services.AccessError as exc:
        request.session.pop(LOGIN_PENDING, None)
        return JsonResponse({"error": exc.message, "restart": True}, status=400)
    next_url = request.session.get(LOGIN_NEXT, "/cabinet/")
    request.session.pop(LOGIN_PENDING, None)
    services.start_web_session(request, client)
    return JsonResponse({"redirect": next_url})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    services.logout_client(request)
    return redirect("access:login")


# --- Registration (R-ONB-8) ------------------------------------------------------------------
def register_view(request: HttpRequest) -> HttpResponse:
    text = consent.consent_text(request.LANGUAGE_CODE)
    form = RegistrationForm(request.POST or None, initial={"consent_sha256": consent.text_sha256(text)})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data, language=request.LANGUAGE_CODE)
        try:
            challenge = registration.start(data, address=ratelimit.client_address(request))
        except ClientDataError as exc:
            for message in _error_messages(exc):
                form.add_error(None, message)
        except otp.OtpError as exc:
            form.add_error(None, exc.message)
        else:
            request.session[REG_PENDING] = challenge.public_id
            return redirect("access:register-code")
    return render(request, "access/register.html", {"form": form, "consent_text": text})


def register_code_view(request: HttpRequest) -> HttpResponse:
    public_id = request.session.get(REG_PENDING)
    challenge = otp.get(public_id, "registration") if public_id else None
    if challenge is None:
        return redirect("access:register")
    if challenge.verified_at:
        return redirect("access:register-password")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and "resend" in request.POST:
        try:
            otp.resend(challenge.public_id, language=request.LANGUAGE_CODE)
            messages.info(request, _("A new code has been sent."))
        except otp.OtpError as exc:
            messages.error(request, exc.message)
        return redirect("access:register-code")
    if request.method == "POST" and form.is_valid():
        try:
            registration.verify_code(challenge.public_id, form.cleaned_data["code"])
        except otp.OtpError as exc:
            form.add_error("code", exc.message)
        else:
            return redirect("access:register-password")
    return render(
        request,
        "access/code.html",
        {
            "form": form,
            "title": _("Confirm your phone number"),
            "challenge": challenge,
            "can_resend": True,
            "hint": _("We sent a code by SMS to %(phone)s. It is valid for %(seconds)s seconds.")
            % {"phone": challenge.phone, "seconds": settings.OTP_TTL_SECONDS},
        },
    )


def register_password_view(request: HttpRequest) -> HttpResponse:
    public_id = request.session.get(REG_PENDING, "")
    try:
        challenge = registration.verified_challenge(public_id)
    except services.AccessError as exc:
        messages.error(request, exc.message)
        return redirect("access:register")
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            client = registration.complete(challenge.public_id, form.cleaned_data["password1"])
        except ValidationError as exc:
            for message in _error_messages(exc):
                form.add_error("password1", message)
        except (services.AccessError, ClientDataError) as exc:
            messages.error(request, getattr(exc, "message", None) or "; ".join(_error_messages(exc)))
            return redirect("access:register")
        else:
            request.session.pop(REG_PENDING, None)
            services.start_web_session(request, client)
            return redirect("access:finish-registration")
    return render(request, "access/password.html", {"form": form, "title": _("Create a password")})


@client_required(allow_unconfirmed=True)
def finish_registration_view(request: HttpRequest) -> HttpResponse:
    client = stepup.refresh_registration(request.client)
    if client.status == client.Status.CONFIRMED:
        messages.success(request, _("Your registration is confirmed."))
        return redirect("cabinet:home")
    req = stepup.registration_requirements(client)
    here = request.path
    return render(
        request,
        "access/finish.html",
        {
            "req": req,
            "client": client,
            "biometrics_url": "/biometrics/verify/?" + urlencode({"purpose": "registration", "next": here}),
            "signer": getattr(client, "signer", None) if req.documents_required else None,
        },
    )


@client_required(allow_unconfirmed=True)
def representative_view(request: HttpRequest) -> HttpResponse:
    """A legal entity's representative documents (R-ONB-2): the order appointing the head or the
    power of attorney; the signer's ID card and face are checked at the biometric step."""
    from qaryz.clients.services import set_signer_authority

    client = request.client
    if client.kind != Client.Kind.LEGAL_ENTITY or client.status != Client.Status.REGISTERED:
        return redirect("access:finish-registration")
    signer = LegalEntitySigner.objects.filter(client=client).first()
    if signer is None:  # registration records it with the entity: only data entered elsewhere lacks it
        messages.error(
            request,
            _("The organisation's signer is not recorded. Call the MFO to complete the registration."),
        )
        return redirect("access:finish-registration")
    form = AuthorityForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            set_signer_authority(
                client,
                authority=form.cleaned_data["authority"],
                scan=form.cleaned_data["scan"].read(),
                actor=client,
            )
        except ClientDataError as exc:
            for message in _error_messages(exc):
                form.add_error("scan", message)
        else:
            messages.success(request, _("The document has been received."))
            return redirect("access:finish-registration")
    return render(request, "access/representative.html", {"form": form, "signer": signer})


@require_POST
@client_required(allow_unconfirmed=True)
def registration_sign_view(request: HttpRequest) -> HttpResponse:
    ref = stepup.start_registration_signature(request.client)
    return redirect(f"/signatures/sign/{ref}/?" + urlencode({"next": "/register/finish/"}))


# --- Password recovery: SMS code and fresh biometrics (R-AUTH-5) ---------------------------------
def recover_view(request: HttpRequest) -> HttpResponse:
    session = services.web_session(request)
    if session is not None and session.scope == ClientSession.Scope.RECOVERY:
        return redirect("access:recover-new")
    form = RecoveryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            challenge = stepup.start_recovery(
                form.cleaned_data["phone"],
                form.cleaned_data["id_number"],
                address=ratelimit.client_address(request),
            )
        except otp.OtpError as exc:
            form.add_error(None, exc.message)
        else:
            request.session[RECOVERY_PENDING] = challenge.public_id
            return redirect("access:recover-code")
    return render(request, "access/recover.html", {"form": form})


def recover_code_view(request: HttpRequest) -> HttpResponse:
    public_id = request.session.get(RECOVERY_PENDING)
    challenge = otp.get(public_id, "recovery") if public_id else None
    if challenge is None:
        return redirect("access:recover-password")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            client = stepup.verify_recovery_code(challenge.public_id, form.cleaned_data["code"])
        except otp.OtpError as exc:
            form.add_error("code", exc.message)
        else:
            request.session.pop(RECOVERY_PENDING, None)
            services.start_web_session(request, client, scope=ClientSession.Scope.RECOVERY)
            return redirect("access:recover-new")
    return render(
        request,
        "access/code.html",
        {
            "form": form,
            "title": _("Password recovery"),
            "challenge": challenge,
            "can_resend": False,
            "hint": _("If the phone and IIN match our records, we sent a code by SMS."),
        },
    )


@client_required(allow_unconfirmed=True)
def recover_new_view(request: HttpRequest) -> HttpResponse:
    if request.client_session.scope != ClientSession.Scope.RECOVERY:
        return redirect("access:change-password")
    client = request.client
    biometrics_ok = stepup.recovery_biometrics_ok(client)
    form = NewPasswordForm(request.POST or None)
    if request.method == "POST" and biometrics_ok and form.is_valid():
        try:
            stepup.complete_recovery(client, form.cleaned_data["password1"], request=request)
        except ValidationError as exc:
            for message in _error_messages(exc):
                form.add_error("password1", message)
        except services.AccessError as exc:
            form.add_error(None, exc.message)
        else:
            request.session.flush()
            messages.success(request, _("Your password has been changed. Sign in with the new password."))
            return redirect("access:login")
    return render(
        request,
        "access/recover_new.html",
        {
            "form": form,
            "biometrics_ok": biometrics_ok,
            "biometrics_url": "/biometrics/verify/?"
            + urlencode({"purpose": "recovery", "next": request.path}),
        },
    )


# --- Account settings ----------------------------------------------------------------------------
@client_required(allow_unconfirmed=True)
def change_password_view(request: HttpRequest) -> HttpResponse:
    form = ChangePasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_client_password(
                request.client,
                form.cleaned_data["current"],
                form.cleaned_data["password1"],
                current=request.client_session,
                request=request,
            )
        except ValidationError as exc:
            for message in _error_messages(exc):
                form.add_error("password1", message)
        except services.AccessError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Password changed. Your other sessions have been ended."))
            return redirect("cabinet:home")
    return render(request, "access/password.html", {"form": form, "title": _("Change password"), "nav": True})


@client_required(allow_unconfirmed=True)
def second_factor_view(request: HttpRequest) -> HttpResponse:
    client = request.client
    credential = client.credential
    if request.method == "POST" and "disable" in request.POST:
        if credential.second_factor == SecondFactor.WEBAUTHN:
            security_keys.stop_using_keys(client, request=request)
        else:
            services.disable_client_totp(client)
        messages.success(request, _("Sign-in codes will come by SMS again."))
        return redirect("access:second-factor")
    if request.method == "POST" and "use_keys" in request.POST:
        try:
            security_keys.use_keys(client, request=request)
            messages.success(request, _("Your security key is now your second factor."))
        except security_keys.KeyRefused as exc:
            messages.error(request, exc.message)
        return redirect("access:second-factor")
    secret = request.session.get(TOTP_PENDING) or services.new_totp_secret()
    request.session[TOTP_PENDING] = secret
    form = TotpEnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.enrol_client_totp(client, secret, form.cleaned_data["code"])
        except services.AccessError as exc:
            form.add_error("code", exc.message)
        else:
            request.session.pop(TOTP_PENDING, None)
            messages.success(request, _("The authenticator app is now your second factor."))
            return redirect("access:second-factor")
    return render(
        request,
        "access/second_factor.html",
        {
            "form": form,
            "credential": credential,
            "secret": secret,
            "uri": services.totp_uri(secret, client.phone),
            "qr_svg": services.totp_qr_svg(services.totp_uri(secret, client.phone)),
            "keys": security_keys.client_keys(client),
        },
    )


@require_POST
@client_required(allow_unconfirmed=True)
def key_options_view(request: HttpRequest) -> HttpResponse:
    """Enrolment of a security key: options for navigator.credentials.create() (JSON)."""
    options = security_keys.registration_options(
        request.client, security_keys.relying_party(request), request.session
    )
    return JsonResponse({"publicKey": options})


@require_POST
@client_required(allow_unconfirmed=True)
def key_verify_view(request: HttpRequest) -> HttpResponse:
    """Enrolment of a security key: the browser's registration response (JSON)."""
    body = _json_body(request)
    name = body.get("name")
    try:
        security_keys.enrol_key(
            request.client,
            security_keys.relying_party(request),
            request.session,
            body.get("credential"),
            name if isinstance(name, str) else "",
            request=request,
        )
    except security_keys.KeyRefused as exc:
        return _key_refused(exc)
    messages.success(request, _("The security key is now your second factor."))
    return JsonResponse({"redirect": reverse("access:second-factor")})


@require_POST
@client_required(allow_unconfirmed=True)
def key_remove_view(request: HttpRequest, key_id: int) -> HttpResponse:
    if security_keys.remove_key(request.client, key_id, request=request):
        messages.success(request, _("The security key has been removed."))
    return redirect("access:second-factor")


# --- Phone / bank change (R-ONB-6) ------------------------------------------------------------
@client_required
def change_start_view(request: HttpRequest, purpose: str) -> HttpResponse:
    if purpose not in (StepUp.Purpose.CHANGE_PHONE, StepUp.Purpose.CHANGE_BANK):
        return error_response(request, 404)
    form_class = PhoneChangeForm if purpose == StepUp.Purpose.CHANGE_PHONE else BankChangeForm
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            step, challenge = stepup.start_change(request.client, purpose, form.cleaned_data)
        except (services.AccessError, otp.OtpError) as exc:
            form.add_error(None, exc.message)
        except ClientDataError as exc:
            for message in _error_messages(exc):
                form.add_error(None, message)
        else:
            if challenge is not None:
                request.session[f"qaryz_change_{step.pk}"] = challenge.public_id
            return redirect("access:change-steps", step_id=step.pk)
    title = _("Change phone number") if purpose == StepUp.Purpose.CHANGE_PHONE else _("Change bank details")
    return render(request, "access/change_start.html", {"form": form, "title": title})


@client_required
def change_steps_view(request: HttpRequest, step_id: int) -> HttpResponse:
    step = stepup.change_step_of(request.client, step_id)
    if step is None:
        return error_response(request, 404)
    code_form = CodeForm(request.POST if request.POST.get("action") == "code" else None)
    action = request.POST.get("action") if request.method == "POST" else None
    if action == "code" and code_form.is_valid():
        try:
            stepup.verify_new_phone(
                step, request.session.get(f"qaryz_change_{step.pk}", ""), code_form.cleaned_data["code"]
            )
            return redirect("access:change-steps", step_id=step.pk)
        except otp.OtpError as exc:
            code_form.add_error("code", exc.message)
    elif action == "sign":
        ref = stepup.start_change_signature(step)
        return redirect(f"/signatures/sign/{ref}/?" + urlencode({"next": request.path}))
    elif action == "apply":
        try:
            stepup.apply_change(step, request=request)
        except (services.AccessError, ClientDataError) as exc:
            messages.error(request, getattr(exc, "message", None) or "; ".join(_error_messages(exc)))
        else:
            messages.success(request, _("The change has been applied."))
            return redirect("cabinet:home")
    status = stepup.change_status(step)
    return render(
        request,
        "access/change_steps.html",
        {
            "step": step,
            "status": status,
            "code_form": code_form,
            "biometrics_url": "/biometrics/verify/?"
            + urlencode({"purpose": step.purpose, "next": request.path}),
        },
    )
