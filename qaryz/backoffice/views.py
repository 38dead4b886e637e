"""The staff back office shell: login with mandatory second factor, dashboard, demo SMS outbox,
client list and card (audited access to confidential data, R-ACC-1..2), and the review queues:
applications in manual review for the underwriter and possible AML list matches for the AML
officer (R-PRE-1, R-AML-1)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from qaryz.access import otp, services
from qaryz.access.decorators import staff_required
from qaryz.access.models import SecondFactor
from qaryz.access.roles import ROLES
from qaryz.backoffice.forms import (
    ApplicationDecisionForm,
    ScreeningReviewForm,
    StaffCodeForm,
    StaffLoginForm,
    StaffPasswordForm,
)
from qaryz.clients.models import Client
from qaryz.clients.selectors import current_bank_account
from qaryz.compliance import selectors as compliance_selectors
from qaryz.compliance import services as compliance_services
from qaryz.core.middleware import error_response
from qaryz.devices import selectors as device_selectors
from qaryz.lending import selectors as lending_selectors
from qaryz.lending import services as lending_services
from qaryz.messaging.selectors import embedded_outbox
from qaryz.messaging.selectors import mail_outbox as mail_outbox_rows
from qaryz.records.services import record_event as audit

PENDING = "qaryz_staff_challenge"
NEXT = "qaryz_staff_next"


def login_view(request: HttpRequest) -> HttpResponse:
    form = StaffLoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.staff_check_password(form.cleaned_data["username"], form.cleaned_data["password"])
            challenge = services.begin_staff_login(user)
        except services.AccessError as exc:
            form.add_error(None, exc.message)
        except otp.OtpError as exc:
            form.add_error(None, exc.message)
        else:
            request.session[PENDING] = challenge.public_id
            nxt = request.GET.get("next", "")
            ok = url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()})
            request.session[NEXT] = nxt if ok and nxt else "/backoffice/"
            return redirect("backoffice:login-code")
    return render(request, "backoffice/login.html", {"form": form})


def login_code_view(request: HttpRequest) -> HttpResponse:
    public_id = request.session.get(PENDING)
    challenge = otp.get(public_id, "staff_login") if public_id else None
    if challenge is None:
        return redirect("backoffice:login")
    form = StaffCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            nxt = request.session.get(NEXT, "/backoffice/")
            services.staff_verify_second_factor(request, challenge.public_id, form.cleaned_data["code"])
        except otp.OtpError as exc:
            form.add_error("code", exc.message)
        else:
            return redirect(nxt)
    hint = (
        _("Enter the code from your authenticator app.")
        if challenge.method == SecondFactor.TOTP
        else _("We sent a code by SMS to your work phone.")
    )
    return render(request, "backoffice/code.html", {"form": form, "hint": hint})


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit("staff.logout", category="security", actor=request.user, target=request.user, request=request)
    logout(request)
    return redirect("backoffice:login")


@staff_required()
def dashboard(request: HttpRequest) -> HttpResponse:
    """The workbench: the queues the staff member's roles allow with their counts, the lists, and
    for the accountant this month's figures and the ledger export."""
    from qaryz.backoffice import queues
    from qaryz.backoffice import selectors as bo_selectors

    roles = [str(ROLES[g][0]) for g in request.user.groups.values_list("name", flat=True) if g in ROLES]
    figures = None
    if request.user.has_perm("backoffice.view_ledger"):
        today = timezone.localdate()
        month = today.replace(day=1)
        money = bo_selectors.money_report(month, today, "month")
        figures = {
            "month": month,
            "today": today,
            "portfolio": bo_selectors.portfolio_totals(),
            "disbursed": money.total("disbursed"),
            "loans": money.total("loans"),
            "repaid": money.total("repaid"),
            "payments": money.total("payments"),
            "transfers": bo_selectors.ledger_journal(month, today).count(),
        }
    return render(
        request,
        "backoffice/dashboard.html",
        {
            "roles": roles,
            "queues": queues.queues_for(request.user),
            "figures": figures,
            "can_outbox": settings.DEMO_MODE and request.user.has_perm("messaging.view_sms_outbox"),
        },
    )


@staff_required()
def password_view(request: HttpRequest) -> HttpResponse:
    form = StaffPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not request.user.check_password(form.cleaned_data["current"]):
            form.add_error("current", _("The current password is wrong."))
        else:
            try:
                services.set_staff_password(request.user, form.cleaned_data["password1"])
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error("password1", message)
            else:
                from django.contrib.auth import update_session_auth_hash

                update_session_auth_hash(request, request.user)
                messages.success(request, _("Password changed."))
                return redirect("backoffice:dashboard")
    return render(request, "backoffice/password.html", {"form": form})


@staff_required()
def second_factor_view(request: HttpRequest) -> HttpResponse:
    """Switch one's own second factor from SMS to an authenticator app (TOTP)."""
    secret = request.session.get("qaryz_staff_totp") or services.new_totp_secret()
    request.session["qaryz_staff_totp"] = secret
    form = StaffCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.enrol_staff_totp(request.user, secret, form.cleaned_data["code"])
        except services.AccessError as exc:
            form.add_error("code", exc.message)
        else:
            request.session.pop("qaryz_staff_totp", None)
            messages.success(request, _("The authenticator app is now your second factor."))
            return redirect("backoffice:dashboard")
    return render(
        request,
        "backoffice/second_factor.html",
        {
            "form": form,
            "secret": secret,
            "security": request.user.security,
            "uri": services.totp_uri(secret, request.user.get_username()),
        },
    )


@staff_required("messaging.view_sms_outbox")
def sms_outbox(request: HttpRequest) -> HttpResponse:
    """Demo only: what the simulated phone network delivered (codes included)."""
    if not settings.DEMO_MODE:
        return error_response(request, 404)
    return render(request, "backoffice/outbox.html", {"messages_list": embedded_outbox(200)})


@staff_required("messaging.view_mail_outbox")
def mail_outbox(request: HttpRequest) -> HttpResponse:
    """Every e-mail the system sent or tried to send to outside parties, failures included."""
    return render(request, "backoffice/mail_outbox.html", {"mails": mail_outbox_rows(200)})


def page_of(request: HttpRequest, queryset: Any, per_page: int = 50) -> tuple[Any, str]:
    """One page of a list (a COUNT and a LIMIT/OFFSET query) and the query string without the page."""
    page = Paginator(queryset, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def filters_of(form: forms.Form) -> dict:
    """The valid filters of a GET form (an invalid one shows its message and is ignored)."""
    form.is_valid()
    return {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}


@staff_required("clients.view_client_data")
def client_list(request: HttpRequest) -> HttpResponse:
    from qaryz.backoffice import selectors as bo_selectors
    from qaryz.backoffice.forms import ClientFilterForm

    form = ClientFilterForm(request.GET)
    filters = filters_of(form)
    page, query = page_of(request, bo_selectors.clients(filters.pop("q", ""), **filters))
    audit(
        "staff.viewed_client_list",
        category="security",
        actor=request.user,
        request=request,
        data={"query": form.cleaned_data.get("q", ""), "count": page.paginator.count},
    )
    return render(request, "backoffice/clients.html", {"form": form, "page": page, "query": query})


@staff_required("clients.view_client_data")
def client_detail(request: HttpRequest, client_id: int) -> HttpResponse:
    client = Client.objects.filter(pk=client_id).first()
    if client is None:
        return error_response(request, 404)
    audit("staff.viewed_client", category="security", actor=request.user, target=client, request=request)
    return _client_card(request, client)


def _client_card(request: HttpRequest, client: Client) -> HttpResponse:
    from qaryz.backoffice import labels
    from qaryz.backoffice import selectors as bo_selectors

    credential = getattr(client, "credential", None)
    history = bo_selectors.client_history(client)
    return render(
        request,
        "backoffice/client_detail.html",
        {
            "client": client,
            "credential": credential,
            "bank": current_bank_account(client),
            "signer": getattr(client, "signer", None),
            "consent": client.consents.order_by("-given_at").first(),
            "can_unlock": request.user.has_perm("access.unlock_account"),
            "keys": client.webauthn_keys.count(),
            "history": history,
            "biometrics": [labels.biometric_row(v) for v in history["biometrics"]],
            "signatures": [labels.signature_row(v) for v in history["signatures"]],
            "threads": [labels.thread_row(t) for t in history["threads"]],
            # the app instances and where money operations were made from (qaryz.devices, R-MOB-1)
            "app_devices": device_selectors.all_devices(client),
            "operation_locations": device_selectors.operation_locations(client, limit=20),
        },
    )


@require_POST
@staff_required("clients.view_client_data")
def client_reveal(request: HttpRequest, client_id: int) -> HttpResponse:
    """Show one masked field in full, after recording who asked and why: the value is handed to
    the next rendering of the page the staff member came from (once), then masked again."""
    from qaryz.backoffice import pii

    client = Client.objects.filter(pk=client_id).first()
    if client is None:
        return error_response(request, 404)
    field = request.POST.get("field", "")
    nxt = request.POST.get("next", "")
    if not (nxt.startswith("/backoffice/") and url_has_allowed_host_and_scheme(nxt, {request.get_host()})):
        nxt = f"/backoffice/clients/{client.pk}/"
    try:
        pii.reveal(client, field, request.POST.get("reason", ""), staff=request.user, request=request)
    except pii.RevealError as exc:
        messages.error(request, str(exc.message))
    else:
        pii.remember_reveal(request.session, client.pk, field)
    return redirect(nxt)


# The vault documents of the card a staff member may open: the consent text agreed to and, for a
# legal entity, the representative's authority scan (R-ONB-2). Each opening is audited.
CARD_DOCUMENTS = ("consent", "authority")


@staff_required("clients.view_client_data")
def client_document(request: HttpRequest, client_id: int, which: str) -> HttpResponse:
    """A document of the client card read from the vault (checked against its SHA-256)."""
    from qaryz.records.models import StoredDocument
    from qaryz.records.services import DocumentIntegrityError, DocumentUnavailable, read_document

    client = Client.objects.filter(pk=client_id).first()
    if client is None or which not in CARD_DOCUMENTS:
        return error_response(request, 404)
    if which == "consent":
        consent = client.consents.order_by("-given_at").first()
        ref = consent.document_ref if consent else ""
    else:
        ref = getattr(getattr(client, "signer", None), "authority_scan_ref", "")
    try:
        stored = StoredDocument.objects.filter(pk=ref).first() if ref else None
    except (ValueError, ValidationError):
        stored = None
    if stored is None:
        return error_response(request, 404)
    try:
        content = read_document(stored)
    except (DocumentIntegrityError, DocumentUnavailable):
        return error_response(request, 404)
    audit(
        "staff.opened_client_document",
        category="security",
        actor=request.user,
        target=client,
        request=request,
        data={"document": which, "vault_id": str(stored.pk)},
    )
    response = HttpResponse(content, content_type=stored.media_type)
    response["Content-Disposition"] = (
        f'inline; filename="{which}-{client.pk}.{stored.filename.rsplit(".", 1)[-1]}"'
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
@staff_required("access.unlock_account")
def client_unlock(request: HttpRequest, client_id: int) -> HttpResponse:
    client = Client.objects.filter(pk=client_id).first()
    if client is None:
        return error_response(request, 404)
    if services.unlock_client(client, staff=request.user, request=request):
        messages.success(request, _("The client's access has been restored."))
    return _back_to_client(request, client)


@require_POST
@staff_required("access.unlock_account")
def client_reset_second_factor(request: HttpRequest, client_id: int) -> HttpResponse:
    """For a client who lost the security key or authenticator app (identity checked by staff)."""
    client = Client.objects.filter(pk=client_id).first()
    if client is None:
        return error_response(request, 404)
    try:
        done = services.reset_client_second_factor(
            client, staff=request.user, reason=request.POST.get("reason", ""), request=request
        )
    except services.AccessError as exc:
        messages.error(request, str(exc))
    else:
        if done:
            messages.success(request, _("The client's second factor is now SMS codes."))
        else:
            messages.info(request, _("The client already signs in with SMS codes."))
    return _back_to_client(request, client)


def _back_to_client(request: HttpRequest, client: Client) -> HttpResponse:
    if request.user.has_perm("clients.view_client_data"):
        return redirect("backoffice:client", client_id=client.pk)
    return redirect("backoffice:dashboard")


def _errors_as_messages(request: HttpRequest, form: forms.Form) -> None:
    """The queues post small forms from list pages: their errors go back as messages."""
    for errors in form.errors.values():
        messages.error(request, errors[0])


# --- underwriting queue (applications in manual review) ----------------------------------------
@staff_required("lending.view_application")
def review_queue(request: HttpRequest) -> HttpResponse:
    queue = lending_selectors.review_queue()
    audit(
        "staff.viewed_client_list",
        category="security",
        actor=request.user,
        request=request,
        data={"queue": "underwriting", "count": len(queue)},
    )
    shown = [(app, [_decision_rule(r) for r in reasons]) for app, reasons in queue]
    return render(request, "backoffice/review_queue.html", {"queue": shown})


@staff_required("lending.view_application")
def review_application(request: HttpRequest, application_id: int) -> HttpResponse:
    application = lending_selectors.application_for_staff(application_id)
    if application is None:
        return error_response(request, 404)
    audit(
        "staff.viewed_client",
        category="security",
        actor=request.user,
        target=application.client,
        request=request,
        data={"application": application.pk},
    )
    file = lending_selectors.review_file(application)
    in_review = application.status == application.Status.REVIEW
    decision = file.get("decision")
    if decision is not None:
        file = {
            **file,
            "rules_shown": [_decision_rule(r) for r in (decision.rules or [])],
            # Identifiers (product and rule-set codes, report ids) are shown as codes, not words.
            "inputs_shown": [
                (_INPUT_LABELS.get(k, k), _input_value(k, v), k in _CODE_INPUTS)
                for k, v in (decision.inputs or {}).items()
            ],
            "reasons": [_decision_rule(r) for r in file.get("reasons") or []],
        }
    return render(
        request,
        "backoffice/review_application.html",
        {
            "application": application,
            "file": file,
            "matches": compliance_selectors.matches_of(file["screening"]) if file["screening"] else [],
            "can_decide": in_review and request.user.has_perm("lending.decide_application"),
            "form": ApplicationDecisionForm(),
        },
    )


_RULE_LABELS = {
    "aml": gettext_lazy("AML lists"),
    "aml_pep": gettext_lazy("Politically exposed person: enhanced review"),
    "voluntary_refusal": gettext_lazy("Voluntary refusal of loans"),
    "overdue": gettext_lazy("Current overdue"),
    "debt_burden": gettext_lazy("Debt burden"),
    "applications_last_hour": gettext_lazy("Applications in the last hour"),
    "active_loans": gettext_lazy("Active loans"),
    "large_amount": gettext_lazy("Amount above the automatic approval limit"),
    "score": gettext_lazy("Score"),
}
_OUTCOME_LABELS = {
    "pass": gettext_lazy("passed"),
    "review": gettext_lazy("to review"),
    "decline": gettext_lazy("decline"),
}
_CODE_INPUTS = {"product", "rule_set", "bureau_report_id", "screening_id"}
_VALUE_LABELS = {
    "pass": gettext_lazy("no match"),
    "clear": gettext_lazy("no match"),
    "review": gettext_lazy("possible match, to review"),
    "refuse": gettext_lazy("listed person"),
    "confirmed": gettext_lazy("match confirmed"),
    "false_positive": gettext_lazy("not the listed person"),
    "pending": gettext_lazy("pending"),
}
_INPUT_LABELS = {
    "amount": gettext_lazy("Amount, KZT"),
    "monthly_income": gettext_lazy("Average monthly income, KZT"),
    "aml_result": gettext_lazy("AML screening result"),
    "aml_review_status": gettext_lazy("AML review"),
    "aml_pep": gettext_lazy("Politically exposed person"),
    "aml_refusal_list": gettext_lazy("Match on a list that requires refusal"),
    "voluntary_refusal": gettext_lazy("Voluntary refusal of loans"),
    "active_loans": gettext_lazy("Active loans"),
    "current_overdue_days": gettext_lazy("Overdue now, days"),
    "max_overdue_days_12m": gettext_lazy("Maximum overdue in 12 months, days"),
    "applications_last_hour": gettext_lazy("Applications in the last hour"),
    "existing_monthly_payments": gettext_lazy("Monthly payments on other loans, KZT"),
    "new_monthly_payment": gettext_lazy("Monthly payment of this loan, KZT"),
    "debt_burden": gettext_lazy("Debt burden"),
    "debt_burden_limit": gettext_lazy("Debt burden limit"),
    "debt_burden_limit_overdue": gettext_lazy("Debt burden limit after a long overdue"),
    "bureau_report_id": gettext_lazy("Credit report"),
    "screening_id": gettext_lazy("AML screening"),
    "rule_set": gettext_lazy("Legal rule set"),
    "product": gettext_lazy("Product"),
}


_MONEY_INPUTS = {"amount", "monthly_income", "existing_monthly_payments", "new_monthly_payment"}
_RATIO_INPUTS = {"debt_burden", "debt_burden_limit", "debt_burden_limit_overdue"}


def _input_value(key: str, value: object) -> object:
    """A decision input as the staff member reads it: amounts and ratios in the language's format
    ("300 000,00", "6,57 %"), result codes in words; identifiers stay codes."""
    from decimal import Decimal, InvalidOperation

    from django.utils.translation import get_language

    from qaryz.core.money import format_money

    if key in _CODE_INPUTS or isinstance(value, bool) or value is None:
        return value
    try:
        if key in _MONEY_INPUTS:
            return format_money(Decimal(str(value)), get_language() or "ru", symbol=False)
        if key in _RATIO_INPUTS:
            percent = (Decimal(str(value)) * 100).quantize(Decimal("0.01")).normalize()
            return f"{percent:f}".replace(".", ",") + " %"
    except (InvalidOperation, ValueError):
        return value
    if isinstance(value, str):
        return _VALUE_LABELS.get(value, value)
    return value


def _decision_rule(rule: object) -> dict:
    """A stored decision rule in the staff member's language (the stored detail is kept for audit)."""
    data = rule if isinstance(rule, dict) else {}
    code, outcome = str(data.get("rule", "")), str(data.get("outcome", ""))
    return {
        "label": _RULE_LABELS.get(code, code),
        "outcome": outcome,
        "outcome_label": _OUTCOME_LABELS.get(outcome, outcome),
    }


@require_POST
@staff_required("lending.decide_application")
def review_decide(request: HttpRequest, application_id: int) -> HttpResponse:
    application = lending_selectors.application_for_staff(application_id)
    if application is None:
        return error_response(request, 404)
    form = ApplicationDecisionForm(request.POST)
    if not form.is_valid():
        _errors_as_messages(request, form)
        return redirect("backoffice:review-application", application_id=application.pk)
    approve = form.cleaned_data["decision"] == form.APPROVE
    try:
        lending_services.manual_decision(
            application,
            officer=request.user,
            approve=approve,
            reason="" if approve else form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
        )
    except lending_services.FlowError as exc:
        messages.error(request, exc.message)
        return redirect("backoffice:review-application", application_id=application.pk)
    if application.status == application.Status.APPROVED:
        messages.success(request, _("Application approved; the client sees the offer."))
    else:
        messages.success(
            request,
            _("Application declined: %(reason)s") % {"reason": application.get_decline_reason_display()},
        )
    return redirect("backoffice:review-queue")


# --- AML review queue (possible list matches) ---------------------------------------------------
@staff_required("compliance.view_case")
def aml_queue(request: HttpRequest) -> HttpResponse:
    cases = []
    for screening in compliance_selectors.screenings_pending_review():
        cases.append(
            {
                "screening": screening,
                "matches": compliance_selectors.matches_of(screening),
                "application": lending_selectors.application_of_screening(screening),
            }
        )
    audit(
        "staff.viewed_client_list",
        category="security",
        actor=request.user,
        request=request,
        data={"queue": "aml", "count": len(cases)},
    )
    return render(
        request,
        "backoffice/aml_queue.html",
        {
            "cases": cases,
            "can_decide": request.user.has_perm("compliance.decide_case"),
            "form": ScreeningReviewForm(),
        },
    )


@require_POST
@staff_required("compliance.decide_case")
def aml_review(request: HttpRequest, screening_id: int) -> HttpResponse:
    screening = compliance_selectors.pending_screening(screening_id)
    if screening is None:
        messages.error(request, _("This screening is not waiting for review."))
        return redirect("backoffice:aml-queue")
    form = ScreeningReviewForm(request.POST)
    if not form.is_valid():
        _errors_as_messages(request, form)
        return redirect("backoffice:aml-queue")
    confirmed = form.cleaned_data["conclusion"] == form.CONFIRMED
    try:
        compliance_services.review_screening(
            screening, confirmed=confirmed, officer=request.user, note=form.cleaned_data["note"]
        )
    except ValueError:
        messages.error(request, _("This screening is not waiting for review."))
    else:
        messages.success(request, _("Match confirmed.") if confirmed else _("False positive recorded."))
        application = lending_selectors.application_of_screening(screening)
        if application is not None:
            if application.status == application.Status.DECLINED and confirmed:
                text = _("Application #%(n)s is refused (AML).")
            elif application.status == application.Status.REVIEW:
                text = _("Application #%(n)s now waits for the underwriter's decision.")
            else:
                text = _("Application #%(n)s: %(status)s.")
            messages.info(request, text % {"n": application.pk, "status": application.get_status_display()})
    return redirect("backoffice:aml-queue")
