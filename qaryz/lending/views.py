"""Cabinet pages of the application flow (R-CAB-1, R-CAB-3, R-CAB-4, R-PRE-2..7). Thin: parse, call
a service, render."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from qaryz.access.decorators import client_required
from qaryz.biometrics import selectors as biometric_selectors
from qaryz.core.middleware import error_response
from qaryz.core.money import format_money
from qaryz.lending import amendments, charts, disclosures, selectors, services
from qaryz.lending.forms import AddressForm, AmendmentForm, DisbursementForm, SubmitForm, TermsForm
from qaryz.lending.models import Application, Contract, ContractAmendment, Product
from qaryz.lending.products import current_products, offers, term_errors


def _biometrics_url(next_url: str) -> str:
    return f"/biometrics/verify/?{urlencode({'purpose': services.EDS_PURPOSE, 'next': next_url})}"


def _chart(found: list[dict]) -> dict:
    """The draft-schedule chart with its amounts in the page's language."""
    language = get_language() or "ru"
    return charts.schedule_bars(
        found, fmt=lambda amount: format_money(amount, language), method_label=lambda m: str(_(m))
    )


def _eds_url(request_id: str, next_url: str) -> str:
    return f"/signatures/sign/{request_id}/?{urlencode({'next': next_url})}"


def _pdf(document: Contract | ContractAmendment) -> HttpResponse:
    """The exact PDF shown before signing and kept after (R-CAB-3)."""
    response = HttpResponse(selectors.document_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{document.number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


def owned(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Passes the client's own application; anyone else's is "not found" (no existence leak)."""

    @wraps(view)
    def wrapper(request: HttpRequest, application_id: int, **kwargs: object) -> HttpResponse:
        application = selectors.application_of(request.client, application_id)
        if application is None:
            # A response, not Http404: the safe-error middleware would turn an exception into 500.
            return error_response(request, 404)
        return view(request, application, **kwargs)

    return wrapper


@client_required
def applications(request: HttpRequest) -> HttpResponse:
    return render(
        request, "lending/applications.html", {"applications": selectors.applications_of(request.client)}
    )


@client_required
def apply(request: HttpRequest) -> HttpResponse:
    """Choose amount and term; see every method's draft schedule side by side (R-PRE-4)."""
    products = current_products(request.client.kind)
    product = None
    found: list[dict] = []
    wanted = next((p for p in products if p.code == request.GET.get("product")), None)
    form = TermsForm(
        request.GET or None, initial={"product": products[0].code if products else ""}, product=wanted
    )
    if form.is_bound and form.is_valid():
        product = next((p for p in products if p.code == form.cleaned_data["product"]), None)
        if product is None:
            form.add_error(None, _("This product is not available to you."))
        else:
            for field, message in term_errors(
                product, form.cleaned_data["amount"], form.cleaned_data["term_months"]
            ).items():
                form.add_error(field, message)
            if form.is_valid():
                found = offers(product, form.cleaned_data["amount"], form.cleaned_data["term_months"])
    return render(
        request,
        "lending/apply.html",
        {
            "products": products,
            "form": form,
            "product": product or (products[0] if products else None),
            "offers": found,
            "chart": _chart(found),
        },
    )


@require_POST
@client_required
def create(request: HttpRequest) -> HttpResponse:
    form = TermsForm(request.POST)
    method = request.POST.get("method", "")
    product = Product.objects.filter(code=request.POST.get("product", ""), is_active=True).first()
    if not form.is_valid() or product is None:
        messages.error(request, _("Check the amount and term."))
        return redirect("lending:apply")
    try:
        app = services.create_application(
            request.client, product, form.cleaned_data["amount"], form.cleaned_data["term_months"], method
        )
    except services.FlowError as exc:
        messages.error(request, exc.message)
        return redirect(
            f"{reverse('lending:apply')}?{urlencode({k: request.POST.get(k, '') for k in ('product', 'amount', 'term_months')})}"
        )
    return redirect("lending:application", app.pk)


@client_required
@owned
def application(request: HttpRequest, app: Application) -> HttpResponse:
    context: dict = {"app": app, "events": selectors.timeline(app), "contract": selectors.contract_of(app)}
    if app.status == Application.Status.DRAFT:
        language = request.LANGUAGE_CODE
        context.update(
            texts=[
                (
                    key,
                    disclosures.titles()[key],
                    disclosures.text(app, key, language),
                    key in app.acknowledgements,
                )
                for key in disclosures.KEYS
            ],
            offers=offers(app.product, app.amount, app.term_months),
            disbursement_form=DisbursementForm(
                initial={"disbursement_method": app.disbursement_method or None}
            ),
            submit_form=SubmitForm(),
            idempotency_key=uuid.uuid4().hex,
        )
        context["chart"] = _chart(context["offers"])
        context["disbursement_form"].fields["disbursement_method"].choices = [
            c
            for c in context["disbursement_form"].fields["disbursement_method"].choices
            if c[0] in app.product.disbursement_methods
        ]
    return render(request, "lending/application.html", context)


@require_POST
@client_required
@owned
def acknowledge(request: HttpRequest, app: Application, key: str) -> HttpResponse:
    try:
        services.acknowledge(app, key, language=request.LANGUAGE_CODE)
    except services.FlowError as exc:
        messages.error(request, exc.message)
    return redirect(f"{reverse('lending:application', args=[app.pk])}#ack-{key}")


@require_POST
@client_required
@owned
def disbursement(request: HttpRequest, app: Application) -> HttpResponse:
    form = DisbursementForm(request.POST)
    if form.is_valid():
        try:
            services.choose_disbursement(
                app,
                form.cleaned_data["disbursement_method"],
                iban=form.cleaned_data["iban"],
                card=form.cleaned_data["card"],
                merchant=form.cleaned_data["merchant"],
            )
        except services.FlowError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, _("Choose how to receive the money."))
    return redirect(f"{reverse('lending:application', args=[app.pk])}#disbursement")


@require_POST
@client_required
@owned
def submit(request: HttpRequest, app: Application) -> HttpResponse:
    form = SubmitForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, errors[0])
        return redirect("lending:application", app.pk)
    try:
        services.submit(
            app,
            monthly_income=form.cleaned_data["monthly_income"],
            bureau_consent=True,
            idempotency_key=request.POST.get("idempotency_key", "")[:64],
        )
    except services.FlowError as exc:
        messages.error(request, exc.message)
    return redirect("lending:application", app.pk)


@client_required
@owned
def contract(request: HttpRequest, app: Application) -> HttpResponse:
    """The contract before and after signing (R-CAB-3) and the signing steps (R-SIGN-1)."""
    existing = selectors.contract_of(app)
    if existing is None:
        try:
            existing = services.prepare_contract(app)
        except services.FlowError as exc:
            messages.error(request, exc.message)
            return redirect("lending:application", app.pk)
    here = reverse("lending:contract", args=[app.pk])
    context = {
        "app": app,
        "contract": existing,
        "eds_required": services.eds_required(app),
        "biometrics_url": _biometrics_url(here),
        "face_done": existing.status == Contract.Status.DRAFT
        and biometric_selectors.fresh_verification(app.client, services.EDS_PURPOSE) is not None,
        "amendments": selectors.amendments_of(existing),
        "amendable": existing.status == Contract.Status.SIGNED
        and app.status in amendments.AMENDABLE_APPLICATION_STATUSES,
    }
    if existing.status == Contract.Status.DRAFT and services.address_required(app.client):
        # Registered before the address was collected: asked here, then the contract is drawn up
        # again with it; signing waits until then.
        context["address_form"] = AddressForm()
    elif existing.status == Contract.Status.DRAFT and app.status == Application.Status.APPROVED:
        request_id = services.start_signing(existing)  # "" when no EDS is needed (IE business loan)
        if request_id:
            context["eds_url"] = _eds_url(request_id, here)
    return render(request, "lending/contract.html", context)


@require_POST
@client_required
@owned
def contract_address(request: HttpRequest, app: Application) -> HttpResponse:
    """The registration address given on the contract page; the draft contract is redrawn with it."""
    from qaryz.clients.services import ClientDataError

    existing = selectors.contract_of(app)
    if existing is None:
        return error_response(request, 404)
    form = AddressForm(request.POST)
    if form.is_valid():
        try:
            services.give_contract_address(existing, form.cleaned_data["address"])
        except ClientDataError as exc:
            form.add_error("address", exc.messages[0])
        except services.FlowError as exc:
            messages.error(request, exc.message)
            return redirect("lending:contract", app.pk)
        else:
            messages.success(request, _("Thank you: the contract now names your registration address."))
            return redirect("lending:contract", app.pk)
    context = {
        "app": app,
        "contract": existing,
        "eds_required": services.eds_required(app),
        "biometrics_url": _biometrics_url(reverse("lending:contract", args=[app.pk])),
        "face_done": False,
        "amendments": [],
        "amendable": False,
        "address_form": form,
    }
    return render(request, "lending/contract.html", context, status=400)


@client_required
@owned
def contract_pdf(request: HttpRequest, app: Application) -> HttpResponse:
    existing = selectors.contract_of(app)
    if existing is None:
        return error_response(request, 404)
    return _pdf(existing)


@require_POST
@client_required
@owned
def sign(request: HttpRequest, app: Application) -> HttpResponse:
    existing = selectors.contract_of(app)
    if existing is None:
        return error_response(request, 404)
    try:
        services.complete_signing(existing)
        messages.success(request, _("The contract is signed."))
    except services.FlowError as exc:
        messages.error(request, exc.message)
    return redirect("lending:contract", app.pk)


# --- contract amendments (the contract's path: fresh biometrics AND EDS, R-SIGN-1) ------------------
def _signed_contract(app: Application) -> Contract | None:
    existing = selectors.contract_of(app)
    return existing if existing is not None and existing.status == Contract.Status.SIGNED else None


def amendment_owned(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Passes the client's own amendment (by its sequence on the application's contract)."""

    @wraps(view)
    def wrapper(request: HttpRequest, app: Application, sequence: int) -> HttpResponse:
        existing = selectors.contract_of(app)
        found = selectors.amendment_of(existing, sequence) if existing is not None else None
        if found is None:
            return error_response(request, 404)
        return view(request, app, found)

    return wrapper


@require_http_methods(["GET", "POST"])
@client_required
@owned
def amendment_new(request: HttpRequest, app: Application) -> HttpResponse:
    """Ask to change the term, the schedule method or the payment day of the signed contract."""
    existing = _signed_contract(app)
    if existing is None:
        messages.error(request, _("Only a signed contract can be amended."))
        return redirect("lending:application", app.pk)
    current = selectors.terms_in_force(existing)
    form = AmendmentForm(
        request.POST if request.method == "POST" else None,
        initial={k: current[k] for k in ("term_months", "method", "payment_day")},
        methods=app.product.allowed_methods,
        product=app.product,
    )
    if form.is_bound and form.is_valid():
        try:
            created = amendments.request_amendment(
                existing,
                term_months=form.cleaned_data["term_months"],
                method=form.cleaned_data["method"],
                payment_day=form.cleaned_data["payment_day"],
                reason=form.cleaned_data["reason"],
                language=request.LANGUAGE_CODE,
            )
        except services.FlowError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("lending:amendment", app.pk, created.sequence)
    return render(
        request,
        "lending/amendment_new.html",
        {"app": app, "contract": existing, "form": form, "current": current},
    )


@client_required
@owned
@amendment_owned
def amendment(request: HttpRequest, app: Application, item: ContractAmendment) -> HttpResponse:
    """The amendment before signing (its PDF, the new schedule and rate) and after (R-CAB-3)."""
    here = reverse("lending:amendment", args=[app.pk, item.sequence])
    context: dict = {
        "app": app,
        "contract": item.contract,
        "amendment": item,
        "eds_required": services.eds_required(app),
        "biometrics_url": _biometrics_url(here),
    }
    if item.status == ContractAmendment.Status.DRAFT:
        try:
            request_id = amendments.start_amendment_signing(item)
        except services.FlowError as exc:
            messages.error(request, exc.message)
            request_id = ""
        if request_id:
            context["eds_url"] = _eds_url(request_id, here)
    return render(request, "lending/amendment.html", context)


@client_required
@owned
@amendment_owned
def amendment_pdf(request: HttpRequest, app: Application, item: ContractAmendment) -> HttpResponse:
    return _pdf(item)


@require_POST
@client_required
@owned
@amendment_owned
def amendment_sign(request: HttpRequest, app: Application, item: ContractAmendment) -> HttpResponse:
    try:
        amendments.complete_amendment_signing(item)
        messages.success(request, _("The amendment is signed."))
    except services.FlowError as exc:
        messages.error(request, exc.message)
    return redirect("lending:amendment", app.pk, item.sequence)


@require_POST
@client_required
@owned
@amendment_owned
def amendment_withdraw(request: HttpRequest, app: Application, item: ContractAmendment) -> HttpResponse:
    try:
        amendments.withdraw_amendment(item)
        messages.success(request, _("The amendment is withdrawn."))
    except services.FlowError as exc:
        messages.error(request, exc.message)
    return redirect("lending:contract", app.pk)
