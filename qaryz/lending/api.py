"""Mobile / server API endpoints of the lending room, mounted at the /api/v1/ root by qaryz.api.api."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.errors import HttpError
from pydantic import BaseModel as Schema
from pydantic import Field

from qaryz.core.api_errors import not_found
from qaryz.lending import previews
from qaryz.lending.effective_rate import RateError
from qaryz.lending.schedules import ScheduleError

router = Router(tags=["lending"])


class FeeIn(Schema):
    name: str = Field("fee", max_length=100)
    kind: Literal["one_off", "monthly"] = Field(
        "one_off", description="one_off or monthly (with every instalment)"
    )
    amount: Decimal = Field(Decimal("0"), ge=0, le=Decimal("1000000000"), max_digits=14, decimal_places=2)
    percent: Decimal = Field(Decimal("0"), ge=0, le=100, max_digits=7, decimal_places=4)
    timing: Literal["disbursement", "first_instalment"] = Field(
        "disbursement", description="one-off fees: paid at disbursement or with the first instalment"
    )
    base: Literal["principal", "outstanding"] = Field(
        "principal", description="monthly percentage fees: of the principal or of the outstanding principal"
    )


class PreviewIn(Schema):
    amount: Decimal = Field(
        ..., gt=0, le=Decimal("1000000000"), max_digits=14, decimal_places=2, description="KZT"
    )
    term_months: int = Field(..., ge=1, le=360)
    annual_rate_percent: Decimal = Field(..., ge=0, le=1000, max_digits=8, decimal_places=4)
    method: Literal["annuity", "differentiated"] | None = Field(
        None, description="omit to get every allowed method side by side"
    )
    start_date: dt.date | None = Field(None, description="disbursement date; today when omitted")
    day_count: Literal["actual/365", "actual/360", "30/360"] = "actual/365"
    payment_day: int | None = Field(
        None, ge=1, le=31, description="day of month; the disbursement day when omitted"
    )
    fees: list[FeeIn] = Field(default_factory=list, max_length=20)


class PlannedInstalmentOut(Schema):
    """One row of a previewed schedule (named apart from the servicing room's InstalmentOut: one
    OpenAPI component name per schema)."""

    number: int
    due_date: dt.date
    days: int
    principal: Decimal
    interest: Decimal
    fee: Decimal
    total: Decimal
    remaining_principal: Decimal


class TotalsOut(Schema):
    principal: Decimal
    interest: Decimal
    fees: Decimal
    upfront_fees: Decimal = Field(..., description="fees paid at disbursement (part of 'fees')")
    payable: Decimal = Field(..., description="principal + interest + fees")


class ScheduleOut(Schema):
    method: str
    effective_rate_percent: Decimal = Field(
        ..., description="annual effective rate (ГЭСВ), rounded as configured"
    )
    totals: TotalsOut
    instalments: list[PlannedInstalmentOut]


class PreviewOut(Schema):
    amount: Decimal
    term_months: int
    annual_rate_percent: Decimal
    start_date: dt.date
    day_count: str
    schedules: list[ScheduleOut]


@router.post("/schedules/preview", response=PreviewOut, auth=None, summary="Draft repayment schedules")
def schedules_preview(request: HttpRequest, payload: PreviewIn) -> HttpResponse:
    """Draft schedules with every instalment, totals and the annual effective rate (R-PRE-3, R-PRE-4).

    Public (no authentication): used by the web calculator and the mobile app before login.
    Without ``method`` the answer holds one schedule per allowed method. Money values are decimal
    strings in KZT.
    """
    start = payload.start_date or timezone.localdate()
    try:
        # Serialised directly (the schema above documents it): a hot public endpoint where
        # re-validating every instalment through the response model doubled the cost.
        result = previews.preview(
            amount=payload.amount,
            term_months=payload.term_months,
            annual_rate_percent=payload.annual_rate_percent,
            methods=[payload.method] if payload.method else None,
            start_date=start,
            day_count=payload.day_count,
            payment_day=payload.payment_day,
            fees=[fee.model_dump() for fee in payload.fees],
        )
    except ScheduleError as exc:
        raise HttpError(422, f"{exc.field}: {exc.message}") from exc
    except RateError as exc:  # fees so high over so short a period that no rate is representable
        raise HttpError(422, f"fees: {exc}") from exc
    return HttpResponse(previews.to_json(result), content_type="application/json")


# --- the application flow for the mobile app (R-CAB-1, R-CAB-3, R-CAB-4, R-PRE-2..8) ---------------
def _bearer() -> object:
    from qaryz.access.api_auth import ClientBearer

    # money=True: version policy, device integrity and location on every unsafe call (R-MOB-1)
    return ClientBearer(money=True)


class ApplicationIn(Schema):
    product: str = Field(..., max_length=50)
    amount: Decimal = Field(..., gt=0, max_digits=14, decimal_places=2)
    term_months: int = Field(..., ge=1, le=360)
    method: Literal["annuity", "differentiated"]


class EventOut(Schema):
    status: str = Field(..., description="stable status code (draft, submitted, approved, …)")
    status_label: str = Field("", description="the status in the client's language")
    from_status: str = ""
    at: dt.datetime


class ApplicationSummaryOut(Schema):
    id: int
    status: str = Field(..., description="stable status code")
    status_label: str = Field(..., description="the status in the client's language")
    product: str
    amount: Decimal
    term_months: int
    created_at: dt.datetime


class ProductOut(Schema):
    code: str
    version: int
    name: str
    min_amount: Decimal
    max_amount: Decimal
    min_term_months: int
    max_term_months: int
    nominal_rate_percent: Decimal
    methods: list[str]
    disbursement_methods: list[str]


class OffersIn(Schema):
    amount: Decimal = Field(..., gt=0, max_digits=14, decimal_places=2)
    term_months: int = Field(..., ge=1, le=360)


class ApplicationOut(Schema):
    id: int
    status: str
    status_label: str
    product: str
    product_version: int
    rule_set: str
    amount: Decimal
    term_months: int
    method: str
    disbursement_method: str
    decline_reason: str
    decline_reason_label: str
    effective_rate_percent: Decimal | None
    acknowledged: list[str]
    events: list[EventOut]
    offer: dict | None = Field(None, description="the approved schedule (same shape as a preview schedule)")


class DisclosureOut(Schema):
    key: str
    title: str
    text: str
    acknowledged: bool


class AcknowledgeIn(Schema):
    key: Literal["rules", "payments", "schedules", "rights"]


class DisbursementIn(Schema):
    method: Literal["cash_desk", "cash_terminal", "bank_account", "card", "merchant"]
    iban: str = Field("", max_length=40)
    card: str = Field("", max_length=30)
    merchant: str = Field("", max_length=200)


class SubmitIn(Schema):
    monthly_income: Decimal = Field(..., gt=0, max_digits=14, decimal_places=2)
    bureau_consent: bool
    idempotency_key: str = Field("", max_length=64)


class ContractOut(Schema):
    number: str
    status: str
    language: str
    template_version: str
    pdf_sha256: str
    eds_required: bool
    signed_at: dt.datetime | None
    address_required: bool = Field(
        False, description="true: give the registration address (…/contract/address) before signing"
    )


class AddressIn(Schema):
    address: str = Field(..., max_length=200, description="registration address (an entity's legal address)")


def _app_out(app: object) -> dict:

    return {
        "id": app.pk,
        "status": app.status,
        "status_label": str(app.get_status_display()),
        "product": app.product.code,
        "product_version": app.product.version,
        "rule_set": app.rule_set.code,
        "amount": app.amount,
        "term_months": app.term_months,
        "method": app.method,
        "disbursement_method": app.disbursement_method,
        "decline_reason": app.decline_reason,
        "decline_reason_label": str(app.get_decline_reason_display()) if app.decline_reason else "",
        "effective_rate_percent": app.effective_rate_percent,
        "acknowledged": sorted(
            k for k in app.acknowledgements if k in ("rules", "payments", "schedules", "rights")
        ),
        "events": _events(app),
        "offer": app.offer_schedule or None,
    }


def _status_label(code: str) -> str:
    from qaryz.lending.models import Application

    return str(Application.Status(code).label) if code in Application.Status.values else code


def _events(app: object) -> list[dict]:
    """The application's history (R-CAB-4): every status change, oldest first, labelled in the
    answer's language (the one the app asks for with Accept-Language, else the client's own)."""
    from qaryz.lending import selectors

    return [
        {
            "status": e.to_status,
            "status_label": _status_label(e.to_status),
            "from_status": e.from_status,
            "at": e.at,
        }
        for e in selectors.timeline(app)
    ]


def _owned(request: HttpRequest, application_id: int) -> object:
    from qaryz.lending import selectors

    app = selectors.application_of(request.auth, application_id)
    if app is None:
        raise not_found()
    return app


def _flow(call: object) -> object:
    from qaryz.lending.services import FlowError

    try:
        return call()
    except FlowError as exc:
        raise HttpError(422, f"{exc.field}: {exc.message}" if exc.field else exc.message) from exc


@router.post("/applications", response={201: ApplicationOut}, auth=_bearer(), summary="Start an application")
def create_application(request: HttpRequest, payload: ApplicationIn) -> Status:
    from qaryz.lending import services
    from qaryz.lending.models import Product

    product = Product.objects.filter(code=payload.product, is_active=True).first()
    if product is None:
        raise HttpError(422, "product: " + _("No such product is offered."))
    app = _flow(
        lambda: services.create_application(
            request.auth, product, payload.amount, payload.term_months, payload.method
        )
    )
    return Status(201, _app_out(app))


@router.get(
    "/applications",
    response=list[ApplicationSummaryOut],
    auth=_bearer(),
    summary="The client's applications, newest first (the cabinet's \"My applications\")",
)
def list_applications(request: HttpRequest) -> list[dict]:
    from qaryz.access.api_auth import answer_language
    from qaryz.lending import selectors

    with answer_language(request):
        return [
            {
                "id": app.pk,
                "status": app.status,
                "status_label": str(app.get_status_display()),
                "product": app.product.code,
                "amount": app.amount,
                "term_months": app.term_months,
                "created_at": app.created_at,
            }
            for app in selectors.applications_of(request.auth)
        ]


@router.get(
    "/applications/{application_id}/history",
    response=list[EventOut],
    auth=_bearer(),
    summary="An application's status history with labels in the client's language (R-CAB-4)",
)
def application_history(request: HttpRequest, application_id: int) -> list[dict]:
    from qaryz.access.api_auth import answer_language

    app = _owned(request, application_id)
    with answer_language(request):
        return _events(app)


@router.get(
    "/products",
    response=list[ProductOut],
    auth=_bearer(),
    summary='The products offered to this client (the cabinet\'s "Apply" page)',
)
def list_products(request: HttpRequest) -> list[dict]:
    from qaryz.lending.products import current_products

    return [
        {
            "code": p.code,
            "version": p.version,
            "name": p.name,
            "min_amount": p.min_amount,
            "max_amount": p.max_amount,
            "min_term_months": p.min_term_months,
            "max_term_months": p.max_term_months,
            "nominal_rate_percent": p.nominal_rate_percent,
            "methods": list(p.allowed_methods),
            "disbursement_methods": list(p.disbursement_methods),
        }
        for p in current_products(request.auth.kind)
    ]


@router.post(
    "/products/{code}/offers",
    response=list[ScheduleOut],
    auth=_bearer(),
    summary="Draft schedules of a product for an amount and term, every lawful method (R-PRE-4)",
)
def product_offers(request: HttpRequest, code: str, payload: OffersIn) -> list[dict]:
    """What the cabinet's "Apply" page shows side by side. A method whose schedule would break a
    cap in force is left out; the product's own limits are a 422 naming the field."""
    from qaryz.access.api_auth import answer_language
    from qaryz.lending.products import current_products, offers, term_errors

    product = next((p for p in current_products(request.auth.kind) if p.code == code), None)
    if product is None:
        raise not_found()
    with answer_language(request):
        errors = term_errors(product, payload.amount, payload.term_months)
        if errors:
            raise HttpError(422, "; ".join(f"{field}: {message}" for field, message in errors.items()))
    return offers(product, payload.amount, payload.term_months)


@router.get(
    "/applications/{application_id}",
    response=ApplicationOut,
    auth=_bearer(),
    summary="An application and its progress",
)
def get_application(request: HttpRequest, application_id: int) -> dict:
    from qaryz.access.api_auth import answer_language

    app = _owned(request, application_id)
    with answer_language(request):
        return _app_out(app)


@router.get(
    "/applications/{application_id}/disclosures",
    response=list[DisclosureOut],
    auth=_bearer(),
    summary="Texts to read before submitting (R-PRE-2..5)",
)
def get_disclosures(request: HttpRequest, application_id: int, language: str = "") -> list[dict]:
    from qaryz.lending import disclosures

    app = _owned(request, application_id)
    lang = language or app.client.preferred_language
    return [
        {
            "key": k,
            "title": disclosures.titles()[k],
            "text": disclosures.text(app, k, lang),
            "acknowledged": k in app.acknowledgements,
        }
        for k in disclosures.KEYS
    ]


@router.post(
    "/applications/{application_id}/acknowledgements",
    response=ApplicationOut,
    auth=_bearer(),
    summary="Acknowledge a text (stored in the vault)",
)
def acknowledge(
    request: HttpRequest, application_id: int, payload: AcknowledgeIn, language: str = ""
) -> dict:
    from qaryz.lending import services

    app = _owned(request, application_id)
    _flow(lambda: services.acknowledge(app, payload.key, language=language or None))
    return _app_out(app)


@router.post(
    "/applications/{application_id}/disbursement",
    response=ApplicationOut,
    auth=_bearer(),
    summary="How to receive the money (R-PRE-6, R-PRE-7)",
)
def disbursement(request: HttpRequest, application_id: int, payload: DisbursementIn) -> dict:
    from qaryz.lending import services

    app = _owned(request, application_id)
    _flow(
        lambda: services.choose_disbursement(
            app, payload.method, iban=payload.iban, card=payload.card, merchant=payload.merchant
        )
    )
    return _app_out(app)


@router.post(
    "/applications/{application_id}/submit",
    response=ApplicationOut,
    auth=_bearer(),
    summary="Submit; the checks and the decision follow",
)
def submit(request: HttpRequest, application_id: int, payload: SubmitIn) -> dict:
    from qaryz.lending import services

    app = _owned(request, application_id)
    _flow(
        lambda: services.submit(
            app,
            monthly_income=payload.monthly_income,
            bureau_consent=payload.bureau_consent,
            idempotency_key=payload.idempotency_key,
        )
    )
    app.refresh_from_db()
    return _app_out(app)


@router.get(
    "/applications/{application_id}/contract",
    response=ContractOut,
    auth=_bearer(),
    summary="The contract (prepared once the application is approved, R-CAB-3)",
)
def contract(request: HttpRequest, application_id: int) -> dict:
    from qaryz.lending import selectors, services

    app = _owned(request, application_id)
    existing = selectors.contract_of(app) or _flow(lambda: services.prepare_contract(app))
    return _contract_out(existing, app)


@router.get(
    "/applications/{application_id}/contract.pdf",
    auth=_bearer(),
    summary="The contract PDF",
    response={200: None},
)
def contract_pdf(request: HttpRequest, application_id: int) -> HttpResponse:
    return _pdf(_contract_of(_owned(request, application_id)))


def _pdf(document: object) -> HttpResponse:
    from qaryz.lending import selectors

    response = HttpResponse(selectors.document_pdf(document), content_type="application/pdf")
    response["Cache-Control"] = "no-store"
    return response


def _contract_out(existing: object, app: object) -> dict:
    from qaryz.lending import services

    return {
        "number": existing.number,
        "status": existing.status,
        "language": existing.language,
        "template_version": existing.template_version,
        "pdf_sha256": existing.pdf_sha256,
        "eds_required": services.eds_required(app),
        "signed_at": existing.signed_at,
        "address_required": existing.status == "draft" and services.address_required(app.client),
    }


class SigningOut(Schema):
    signing_request_id: str = Field(
        ..., description="EDS signing request: sign it with /api/v1/signatures/requests/{id}/submit"
    )
    eds_required: bool = Field(..., description="false for an IE's business loan (biometrics only)")
    biometrics_purpose: str = Field(
        ..., description="purpose of the biometric session to pass before signing"
    )


def _signing_out(request_id: str, app: object) -> dict:
    from qaryz.lending import services

    return {
        "signing_request_id": request_id,
        "eds_required": services.eds_required(app),
        "biometrics_purpose": services.EDS_PURPOSE,
    }


def _contract_of(app: object) -> object:
    from qaryz.lending import selectors

    existing = selectors.contract_of(app)
    if existing is None:
        raise not_found()
    return existing


@router.post(
    "/applications/{application_id}/contract/signing",
    response=SigningOut,
    auth=_bearer(),
    summary="Start signing the contract: the EDS signing request over its exact PDF (R-SIGN-1)",
)
def contract_signing(request: HttpRequest, application_id: int) -> dict:
    """Returns the signing request to sign (a new one once the previous expired). Then pass a
    biometric session with purpose ``contract_signing`` and call ``…/contract/sign``."""
    from qaryz.lending import services

    app = _owned(request, application_id)
    existing = _contract_of(app)
    return _signing_out(_flow(lambda: services.start_signing(existing)), app)


@router.post(
    "/applications/{application_id}/contract/sign",
    response=ContractOut,
    auth=_bearer(),
    summary="Complete signing: fresh biometrics AND the accepted EDS signature (R-SIGN-1)",
)
def contract_sign(request: HttpRequest, application_id: int) -> dict:
    from qaryz.lending import services

    app = _owned(request, application_id)
    existing = _contract_of(app)
    _flow(lambda: services.complete_signing(existing))
    existing.refresh_from_db()
    return _contract_out(existing, app)


@router.post(
    "/applications/{application_id}/contract/address",
    response=ContractOut,
    auth=_bearer(),
    summary="Give the registration address before signing; the draft contract is drawn up again with it",
)
def contract_address(request: HttpRequest, application_id: int, payload: AddressIn) -> dict:
    """For a client registered before the address was collected (``address_required`` true): the
    address is recorded on the client and the unsigned contract is rendered again (new PDF and
    SHA-256, same number); start signing afterwards."""
    from qaryz.clients.services import ClientDataError
    from qaryz.lending import services

    app = _owned(request, application_id)
    existing = _contract_of(app)
    try:
        updated = _flow(lambda: services.give_contract_address(existing, payload.address))
    except ClientDataError as exc:
        raise HttpError(400, "; ".join(exc.messages)) from None
    return _contract_out(updated, app)


# --- contract amendments (same path as the contract) -------------------------------------------------
class AmendmentIn(Schema):
    term_months: int = Field(..., ge=1, le=360)
    method: Literal["annuity", "differentiated"]
    payment_day: int | None = Field(None, ge=1, le=31, description="day of month; null: the disbursement day")
    reason: str = Field("", max_length=500)
    language: Literal["ru", "kk"] | None = Field(None, description="the client's language when omitted")


class AmendmentOut(Schema):
    sequence: int
    number: str
    status: str
    initiator: str
    changes: dict = Field(..., description='changed items only: {"term_months": [old, new], ...}')
    term_months: int
    method: str
    payment_day: int | None
    effective_rate_percent: Decimal
    previous_effective_rate_percent: Decimal | None
    rule_set: str
    language: str
    template_version: str
    pdf_sha256: str
    eds_required: bool
    created_at: dt.datetime
    signed_at: dt.datetime | None
    schedule: dict = Field(..., description="the new schedule (same shape as a preview schedule)")


def _amendment_out(item: object, app: object) -> dict:
    from qaryz.lending import services

    return {
        "sequence": item.sequence,
        "number": item.number,
        "status": item.status,
        "initiator": item.initiator,
        "changes": item.changes,
        "term_months": item.term_months,
        "method": item.method,
        "payment_day": item.payment_day,
        "effective_rate_percent": item.effective_rate_percent,
        "previous_effective_rate_percent": item.previous_effective_rate_percent,
        "rule_set": item.rule_set.code,
        "language": item.language,
        "template_version": item.template_version,
        "pdf_sha256": item.pdf_sha256,
        "eds_required": services.eds_required(app),
        "created_at": item.created_at,
        "signed_at": item.signed_at,
        "schedule": item.schedule,
    }


def _amendment(request: HttpRequest, application_id: int, sequence: int) -> tuple[object, object]:
    from qaryz.lending import selectors

    app = _owned(request, application_id)
    item = selectors.amendment_of(_contract_of(app), sequence)
    if item is None:
        raise not_found()
    return app, item


@router.get(
    "/applications/{application_id}/contract/amendments",
    response=list[AmendmentOut],
    auth=_bearer(),
    summary="Amendments of the contract",
)
def list_amendments(request: HttpRequest, application_id: int) -> list[dict]:
    from qaryz.lending import selectors

    app = _owned(request, application_id)
    return [
        _amendment_out(a, app) for a in selectors.amendments_of(_contract_of(app)).select_related("rule_set")
    ]


@router.post(
    "/applications/{application_id}/contract/amendments",
    response={201: AmendmentOut},
    auth=_bearer(),
    summary="Ask to change the term, schedule method or payment day (checked against the caps)",
)
def request_amendment(request: HttpRequest, application_id: int, payload: AmendmentIn) -> Status:
    from qaryz.lending import amendments

    app = _owned(request, application_id)
    existing = _contract_of(app)
    item = _flow(
        lambda: amendments.request_amendment(
            existing,
            term_months=payload.term_months,
            method=payload.method,
            payment_day=payload.payment_day,
            reason=payload.reason,
            language=payload.language,
        )
    )
    return Status(201, _amendment_out(item, app))


# Declared before ".../{sequence}", whose path converter would otherwise take "1.pdf".
@router.get(
    "/applications/{application_id}/contract/amendments/{sequence}.pdf",
    auth=_bearer(),
    summary="The amendment PDF (shown before signing)",
    response={200: None},
)
def amendment_pdf(request: HttpRequest, application_id: int, sequence: int) -> HttpResponse:
    _app, item = _amendment(request, application_id, sequence)
    return _pdf(item)


@router.get(
    "/applications/{application_id}/contract/amendments/{sequence}",
    response=AmendmentOut,
    auth=_bearer(),
    summary="An amendment with its new schedule and effective rate",
)
def get_amendment(request: HttpRequest, application_id: int, sequence: int) -> dict:
    app, item = _amendment(request, application_id, sequence)
    return _amendment_out(item, app)


@router.post(
    "/applications/{application_id}/contract/amendments/{sequence}/signing",
    response=SigningOut,
    auth=_bearer(),
    summary="Start signing the amendment: the EDS signing request over its exact PDF",
)
def amendment_signing(request: HttpRequest, application_id: int, sequence: int) -> dict:
    from qaryz.lending import amendments

    app, item = _amendment(request, application_id, sequence)
    return _signing_out(_flow(lambda: amendments.start_amendment_signing(item)), app)


@router.post(
    "/applications/{application_id}/contract/amendments/{sequence}/sign",
    response=AmendmentOut,
    auth=_bearer(),
    summary="Complete signing the amendment: fresh biometrics AND the accepted EDS (R-SIGN-1)",
)
def amendment_sign(request: HttpRequest, application_id: int, sequence: int) -> dict:
    from qaryz.lending import amendments

    app, item = _amendment(request, application_id, sequence)
    _flow(lambda: amendments.complete_amendment_signing(item))
    return _amendment_out(item, app)


@router.post(
    "/applications/{application_id}/contract/amendments/{sequence}/withdraw",
    response=AmendmentOut,
    auth=_bearer(),
    summary="Withdraw an amendment not yet signed",
)
def amendment_withdraw(request: HttpRequest, application_id: int, sequence: int) -> dict:
    from qaryz.lending import amendments

    app, item = _amendment(request, application_id, sequence)
    _flow(lambda: amendments.withdraw_amendment(item))
    return _amendment_out(item, app)
