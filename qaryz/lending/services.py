"""Lending services: the application flow, checks, decision, contract and signing.

The only writers of the lending tables (products and rule sets: qaryz.lending.products). Every
status change goes through ``_transition`` (row lock, allowed-transition table – also enforced by
a database trigger –, timestamp, event for the client, audit record).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qaryz.clients.models import Client
from qaryz.compliance import selectors as compliance_selectors
from qaryz.compliance import services as compliance
from qaryz.core import identifiers
from qaryz.lending import decisioning, disclosures, signing
from qaryz.lending.caps import loan_breaches
from qaryz.lending.errors import FlowError
from qaryz.lending.models import (
    TRANSITIONS,
    Application,
    ApplicationEvent,
    BureauReport,
    Contract,
    Decision,
    DisbursementMethod,
    Product,
)
from qaryz.lending.ports import BureauError, CreditBureau, CreditReport
from qaryz.lending.products import caps_of, offers, product_loan_terms, rule_set_in_force, term_errors
from qaryz.lending.schedules import build_schedule
from qaryz.lending.signing import EDS_PURPOSE
from qaryz.messaging import status_notices
from qaryz.records.services import record_event as audit
from qaryz.records.services import store_document

__all__ = ["EDS_PURPOSE", "FlowError"]  # re-exported: views, the API and tests use services.*

Status = Application.Status
ACK_KEYS = disclosures.KEYS


# --- plumbing -------------------------------------------------------------------------------
def bureau() -> CreditBureau:
    if settings.LENDING_BUREAU == "http":
        from qaryz.lending.adapters.http import HttpCreditBureau

        return HttpCreditBureau(
            settings.LENDING_BUREAU_URL,
            settings.LENDING_BUREAU_API_KEY,
            timeout=settings.LENDING_BUREAU_TIMEOUT,
        )
    from qaryz.lending.adapters.embedded import EmbeddedCreditBureau

    return EmbeddedCreditBureau()


def decision_config() -> decisioning.DecisionConfig:
    overrides = json.loads(settings.LENDING_DECISION_CONFIG or "{}")
    fields = {f.name: f.type for f in dataclasses.fields(decisioning.DecisionConfig)}
    cleaned = {
        k: (Decimal(str(v)) if "Decimal" in str(fields[k]) else int(v))
        for k, v in overrides.items()
        if k in fields
    }
    return decisioning.DecisionConfig(**cleaned)


def _transition(
    application: Application, to: str, *, note: str = "", actor: Any = None, **fields: Any
) -> Application:
    app = Application.objects.select_for_update().get(pk=application.pk)
    if to not in TRANSITIONS.get(app.status, set()):
        raise FlowError(_("This step is not possible in the application's current state."))
    now = timezone.now()
    previous = app.status
    app.status = to
    stamp = {
        Status.SUBMITTED: "submitted_at",
        Status.SIGNED: "signed_at",
        Status.DISBURSED: "disbursed_at",
    }.get(to)
    if stamp:
        setattr(app, stamp, now)
    if to in (Status.APPROVED, Status.DECLINED) and app.decided_at is None:
        app.decided_at = now
    for name, value in fields.items():
        setattr(app, name, value)
    app.save()
    ApplicationEvent.objects.create(
        application=app, from_status=previous, to_status=to, at=now, note=note[:300]
    )
    audit(f"lending.application_{to}", actor=actor, target=app, data={"from": previous, "note": note})
    status_notices.application_status(app, to)  # after commit, in the client's language, once
    application.__dict__.update(app.__dict__)
    return app


# --- drafting -------------------------------------------------------------------------------
@transaction.atomic
def create_application(
    client: Client, product: Product, amount: Decimal, term_months: int, method: str, *, actor: Any = None
) -> Application:
    """A draft with the rule set in force today and this product version (R-CAB-1)."""
    if client.status != Client.Status.CONFIRMED:
        raise FlowError(_("Finish registration before applying for a loan."))
    if not product.is_active or client.kind not in product.client_kinds:
        raise FlowError(_("This product is not available to you."), "product")
    errors = term_errors(product, Decimal(amount), term_months)
    if errors:
        field, message = next(iter(errors.items()))
        raise FlowError(message, field)
    if method not in product.allowed_methods:
        raise FlowError(_("Choose one of the product's schedule methods."), "method")
    lawful = {o["method"] for o in offers(product, Decimal(amount), term_months)}
    if method not in lawful:
        raise FlowError(_("These terms would exceed a legal limit; choose other terms."), "method")
    application = Application.objects.create(
        client=client,
        product=product,
        rule_set=rule_set_in_force(),
        amount=Decimal(amount),
        term_months=term_months,
        method=method,
    )
    ApplicationEvent.objects.create(application=application, to_status=Status.DRAFT, at=timezone.now())
    audit(
        "lending.application_draft",
        actor=actor or client,
        target=application,
        data={"product": f"{product.code} v{product.version}", "amount": str(amount), "term": term_months},
    )
    return application


def _draft(application: Application) -> Application:
    app = Application.objects.select_for_update().get(pk=application.pk)
    if app.status != Status.DRAFT:
        raise FlowError(_("The application was already submitted."))
    return app


@transaction.atomic
def acknowledge(application: Application, key: str, *, language: str | None = None) -> dict:
    """The client acknowledged text ``key`` (R-PRE-2, R-PRE-3, R-PRE-4, R-PRE-5): the exact text shown
    (rebuilt from the same data) goes to the vault and its SHA-256 onto the application."""
    if key not in ACK_KEYS:
        raise FlowError(_("Unknown document."), "key")
    app = _draft(application)
    text = disclosures.text(app, key, language or app.client.preferred_language)
    content = text.encode()
    record = {
        "sha256": hashlib.sha256(content).hexdigest(),
        "document": str(
            store_document(
                content,
                media_type="text/plain; charset=utf-8",
                kind=f"disclosure_{key}",
                direction="outbound",
                owner=app.client,
                filename=f"application-{app.pk}-{key}.txt",
            ).pk
        ),
        "at": timezone.now().isoformat(),
        "language": language or app.client.preferred_language,
    }
    app.acknowledgements = {**app.acknowledgements, key: record}
    app.save(update_fields=["acknowledgements"])
    audit(
        "lending.disclosure_acknowledged",
        actor=app.client,
        target=app,
        data={"key": key, "sha256": record["sha256"]},
    )
    application.acknowledgements = app.acknowledgements
    return record


@transaction.atomic
def choose_disbursement(
    application: Application, method: str, *, iban: str = "", card: str = "", merchant: str = ""
) -> Application:
    """How the money is provided (R-PRE-6) and the account or card (R-PRE-7)."""
    app = _draft(application)
    if method not in app.product.disbursement_methods:
        raise FlowError(_("Choose one of the offered disbursement methods."), "disbursement_method")
    app.disbursement_method, app.payout_iban, app.payout_card_masked, app.merchant = method, "", "", ""
    try:
        if method == DisbursementMethod.BANK_ACCOUNT:
            app.payout_iban = identifiers.parse_kz_iban(iban).value
        elif method == DisbursementMethod.CARD:
            app.payout_card_masked = identifiers.mask_card_number(card)
    except identifiers.IdentifierError:
        field = "iban" if method == DisbursementMethod.BANK_ACCOUNT else "card"
        raise FlowError(
            _("Check the IBAN: 20 characters starting with KZ.")
            if field == "iban"
            else _("Check the card number."),
            field,
        ) from None
    if method == DisbursementMethod.MERCHANT:
        if not merchant.strip():
            raise FlowError(_("Name the partner merchant."), "merchant")
        app.merchant = merchant.strip()[:200]
    app.save(update_fields=["disbursement_method", "payout_iban", "payout_card_masked", "merchant"])
    audit("lending.disbursement_chosen", actor=app.client, target=app, data={"method": method})
    application.__dict__.update(app.__dict__)
    return app


def submit(
    application: Application,
    *,
    monthly_income: Decimal,
    bureau_consent: bool,
    idempotency_key: str = "",
    run: bool = True,
) -> Application:
    """Submit (R-CAB-1): every text acknowledged, disbursement chosen, consent to the bureau request
    recorded; then the checks run (in-process; a task in production)."""
    if application.status == Status.DRAFT:
        antifraud(
            "application",
            application.client,
            f"application:{application.pk}",
            iban=application.payout_iban or "",
        )
    with transaction.atomic():
        if idempotency_key:
            earlier = Application.objects.filter(
                client_id=application.client_id, idempotency_key=idempotency_key
            ).first()
            if earlier is not None:
                if earlier.pk != application.pk:
                    raise FlowError(_("This request was already used for another application."))
                return earlier
        app = _draft(application)
        missing = [k for k in ACK_KEYS if k not in app.acknowledgements]
        if missing:
            raise FlowError(_("Read and confirm every document first."), missing[0])
        if not app.disbursement_method:
            raise FlowError(_("Choose how to receive the money."), "disbursement_method")
        if not bureau_consent:
            raise FlowError(_("Your consent to the credit bureau request is required."), "bureau_consent")
        if monthly_income is None or Decimal(monthly_income) <= 0:
            raise FlowError(_("Give your average monthly income of the last six months."), "monthly_income")
        _transition(
            app,
            Status.SUBMITTED,
            actor=app.client,
            monthly_income=Decimal(monthly_income),
            bureau_consent_at=timezone.now(),
            idempotency_key=idempotency_key or None,
        )
    application.__dict__.update(app.__dict__)
    if run:
        run_checks(application)
    return application


# --- checks and decision ---------------------------------------------------------------------
def _offer(app: Application) -> tuple[dict, Decimal] | None:
    """The schedule offered for the application's terms today, or None if it breaks a cap."""
    start = timezone.localdate()
    terms = product_loan_terms(app.product, app.amount, app.term_months, app.method, start)
    rule_set = rule_set_in_force(start)
    if loan_breaches(terms, caps_of(rule_set), settings.LENDING_RATE_YEAR_DAYS):
        return None
    from qaryz.lending.previews import schedule_dict, to_json

    item = json.loads(to_json(schedule_dict(build_schedule(terms))))
    return item, Decimal(item["effective_rate_percent"])


def _store_report(app: Application, report: CreditReport, account: str, provider: str) -> BureauReport:
    return BureauReport.objects.create(
        application=app,
        client=app.client,
        provider=provider,
        account=account,
        consent_at=app.bureau_consent_at,
        report_id=report.report_id,
        voluntary_refusal=report.voluntary_refusal,
        active_loans=len(report.loans),
        total_debt=report.total_debt,
        monthly_payments=report.monthly_payments,
        current_overdue_days=report.current_overdue_days,
        max_overdue_days_12m=report.max_overdue_days_12m,
        applications_last_hour=report.applications_last_hour,
        raw=report.raw,
    )


def run_checks(application: Application) -> Application:
    """AML screening, credit report, debt burden, rules and score -> approve / decline / review."""
    with transaction.atomic():
        _transition(application, Status.CHECKS, note="checks started")
    app = application
    screening = compliance.screen_client(app.client, context="application", context_id=str(app.pk))
    adapter = bureau()
    report: CreditReport | None = None
    bureau_error = ""
    try:
        report = adapter.report(
            app.client.iin or app.client.bin or "",
            consent_reference=f"application-{app.pk}",
            consent_at=app.bureau_consent_at,
            account=settings.LENDING_BUREAU_ACCOUNT,
        )
    except BureauError as exc:
        bureau_error = str(exc)
    offer = _offer(app)
    with transaction.atomic():
        if report is not None:
            _store_report(app, report, settings.LENDING_BUREAU_ACCOUNT, adapter.name)
        new_payment = (
            max((Decimal(i["total"]) for i in offer[0]["instalments"]), default=Decimal("0"))
            if offer
            else Decimal("0")
        )
        inputs = decisioning.DecisionInputs(
            amount=app.amount,
            new_monthly_payment=new_payment,
            monthly_income=app.monthly_income,
            existing_monthly_payments=report.monthly_payments if report else Decimal("0"),
            active_loans=len(report.loans) if report else 0,
            current_overdue_days=report.current_overdue_days if report else 0,
            max_overdue_days_12m=report.max_overdue_days_12m if report else 0,
            voluntary_refusal=report.voluntary_refusal if report else False,
            applications_last_hour=report.applications_last_hour if report else 0,
            aml_result=screening.result,
            aml_review_status=screening.review_status,
            aml_pep=screening.pep,
            aml_refusal_list=not screening.pep_only,
            debt_burden_limit=app.rule_set.debt_burden_limit,
            debt_burden_limit_overdue=app.rule_set.debt_burden_limit_overdue,
        )
        result = decisioning.decide(inputs, decision_config())
        rules = result.rules_json()
        if report is None:
            rules.insert(0, {"rule": "bureau", "outcome": "review", "detail": bureau_error, "reason": ""})
            if result.outcome == "approve":
                result.outcome = "review"
        if offer is None:
            rules.append(
                {
                    "rule": "legal_cap",
                    "outcome": "decline",
                    "detail": "the offer would break a cap",
                    "reason": "legal_cap",
                }
            )
            result.outcome, result.reason = "decline", result.reason or "legal_cap"
        input_data = {
            k: (str(v) if isinstance(v, Decimal) else v) for k, v in dataclasses.asdict(inputs).items()
        }
        input_data.update(
            debt_burden=str(result.debt_burden) if result.debt_burden is not None else None,
            screening_id=screening.pk,
            bureau_report_id=report.report_id if report else None,
            rule_set=app.rule_set.code,
            product=f"{app.product.code} v{app.product.version}",
        )
        Decision.objects.create(
            application=app,
            outcome=result.outcome,
            score=result.score,
            engine_version=decisioning.ENGINE_VERSION,
            inputs=input_data,
            rules=rules,
        )
        _apply_outcome(app, result.outcome, result.reason, offer)
    return app


def _apply_outcome(
    app: Application, outcome: str, reason: str, offer: tuple[dict, Decimal] | None, actor: Any = None
) -> None:
    if outcome == "approve" and offer is not None:
        _transition(
            app, Status.APPROVED, actor=actor, offer_schedule=offer[0], effective_rate_percent=offer[1]
        )
    elif outcome == "decline":
        _transition(
            app,
            Status.DECLINED,
            actor=actor,
            decline_reason=reason or Application.DeclineReason.CREDIT_POLICY,
        )
    else:
        _transition(app, Status.REVIEW, actor=actor, note="manual review")


@transaction.atomic
def manual_decision(
    application: Application, *, officer: Any, approve: bool, reason: str = "", note: str = ""
) -> Application:
    """The staff decision on an application in manual review (the queue is in the back office)."""
    app = Application.objects.select_for_update().get(pk=application.pk)
    if app.status != Status.REVIEW:
        raise FlowError(_("Only applications in manual review can be decided by staff."))
    if approve:
        hold = aml_hold(app)
        if hold:
            raise FlowError(hold)
    offer = _offer(app) if approve else None
    outcome = "approve" if approve and offer is not None else "decline"
    if not approve and reason not in Application.DeclineReason.values:
        raise FlowError(_("Choose a permitted reason."), "reason")
    Decision.objects.create(
        application=app,
        outcome=outcome,
        automatic=False,
        engine_version=decisioning.ENGINE_VERSION,
        decided_by=officer,
        note=note,
        inputs={"manual": True},
        rules=[{"rule": "manual", "outcome": outcome, "detail": note, "reason": reason}],
    )
    _apply_outcome(
        app,
        outcome,
        reason if outcome == "decline" and reason else ("legal_cap" if approve else reason),
        offer,
        actor=officer,
    )
    application.__dict__.update(app.__dict__)
    return app


def aml_hold(application: Application) -> str:
    """Why the application's AML screening forbids an approval ("" when it does not): a possible
    match still waiting for the AML officer, or a listed person (R-PRE-1, R-AML-1)."""
    screening = compliance_selectors.screening_for("application", str(application.pk))
    if screening is None:
        return ""
    if screening.review_status == screening.Review.PENDING:
        return _("Waiting for the AML officer: a possible list match is not reviewed yet.")
    if screening.refuses:
        return _("The client is a listed person: the application must be refused.")
    return ""


def on_screening_reviewed(
    sender: Any, *, screening: Any, officer: Any, confirmed: bool, note: str = "", **kwargs: Any
) -> None:
    """The AML officer concluded on a screening (signal of compliance.services, inside its
    transaction). Confirmed match: the application it was made for and every other application of
    the client still before signing (manual review or approved with an offer) are refused (reason
    "aml") – also when the match came from re-screening the portfolio after a list update.
    False positive on an application's screening: the AML hold ends and the application waits for
    the underwriter's decision. Confirmed politically exposed person (a PEP list only, R-AML-1):
    no refusal – the application stays in manual review, flagged PEP, for enhanced review."""
    from_application = screening.context == "application" and str(screening.context_id).isdigit()
    if confirmed and not screening.refuses:
        if from_application:
            app = Application.objects.filter(pk=int(screening.context_id), status=Status.REVIEW).first()
            if app is not None:
                audit(
                    "lending.pep_enhanced_review",
                    actor=officer,
                    target=app,
                    data={"screening": screening.pk, "note": note[:300]},
                )
        return
    if not confirmed:
        if from_application:
            app = Application.objects.filter(pk=int(screening.context_id), status=Status.REVIEW).first()
            if app is not None:
                audit(
                    "lending.aml_hold_released",
                    actor=officer,
                    target=app,
                    data={"screening": screening.pk, "note": note[:300]},
                )
        return
    open_statuses = (Status.REVIEW, Status.APPROVED)
    affected = Application.objects.none()
    if from_application:
        affected = Application.objects.filter(pk=int(screening.context_id), status__in=open_statuses)
    if screening.client_id:
        affected = affected | Application.objects.filter(
            client_id=screening.client_id, status__in=open_statuses
        )
    for app in affected.select_for_update().order_by("pk"):
        Decision.objects.create(
            application=app,
            outcome=Decision.Outcome.DECLINE,
            automatic=False,
            engine_version=decisioning.ENGINE_VERSION,
            decided_by=officer,
            note=note,
            inputs={"manual": True, "screening_id": screening.pk},
            rules=[
                {
                    "rule": "aml",
                    "outcome": "decline",
                    "detail": "list match confirmed by the AML officer",
                    "reason": Application.DeclineReason.AML,
                }
            ],
        )
        _transition(
            app,
            Status.DECLINED,
            actor=officer,
            note="AML match confirmed",
            decline_reason=Application.DeclineReason.AML,
        )


# --- contract and signing --------------------------------------------------------------------
def eds_required(application: Application) -> bool:
    """R-SIGN-1: an IE's business-loan contract needs no EDS; everything else does."""
    return signing.eds_required(application.client)


def contract_language(client: Client, language: str | None = None) -> str:
    """The requested language if a template exists for it, else the client's, else Russian."""
    from qaryz.lending import contracts

    if language in contracts.LANGUAGES:
        return str(language)
    return client.preferred_language if client.preferred_language in contracts.LANGUAGES else "ru"


@transaction.atomic
def prepare_contract(application: Application, *, language: str | None = None) -> Contract:
    """The contract PDF from the versioned template in the client's language (R-CAB-3)."""
    from qaryz.lending import contracts

    app = Application.objects.select_for_update().get(pk=application.pk)
    if app.status != Status.APPROVED:
        raise FlowError(_("The contract is prepared once the application is approved."))
    existing = Contract.objects.filter(application=app).first()
    if existing is not None:
        return existing
    language = contract_language(app.client, language)
    number = f"QZ-{timezone.localdate():%Y%m%d}-{app.pk:06d}"
    pdf = contracts.render(app, number=number, language=language, version=settings.LENDING_CONTRACT_TEMPLATE)
    contract = Contract.objects.create(
        application=app,
        number=number,
        template_version=settings.LENDING_CONTRACT_TEMPLATE,
        language=language,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        allocation_order=app.product.allocation_order,
        vault_document_id=str(
            store_document(
                pdf,
                media_type="application/pdf",
                kind="loan_contract_draft",
                direction="outbound",
                owner=app.client,
                filename=f"{number}.pdf",
            ).pk
        ),
    )
    audit(
        "lending.contract_prepared",
        actor=app.client,
        target=contract,
        data={
            "number": number,
            "sha256": contract.pdf_sha256,
            "rule_set": app.rule_set.code,
            "template": contract.template_version,
        },
    )
    return contract


def address_required(client: Client) -> bool:
    """True while the client's registration address is unknown (clients registered before it was
    collected): the contract names it among the parties' details, so signing waits for it."""
    return not (client.address or "").strip()


def _require_address(client: Client) -> None:
    if address_required(client):
        raise FlowError(
            _("Enter your registration address first: it is printed in the contract's parties' details."),
            "address",
        )


@transaction.atomic
def give_contract_address(contract: Contract, address: str) -> Contract:
    """The client gives their registration address before signing: it is recorded on the client
    (``clients.services.set_address``) and the unsigned contract is drawn up again with it – a new
    PDF and vault copy under the same number, the previous signing request dropped, so what is
    signed is the document with the address. Raises ClientDataError for an unacceptable address."""
    from qaryz.clients.services import set_address
    from qaryz.lending import contracts

    locked = Contract.objects.select_for_update().select_related("application__client").get(pk=contract.pk)
    if locked.status != Contract.Status.DRAFT:
        raise FlowError(_("The contract is already signed."))
    app = locked.application
    set_address(app.client, address, actor=app.client)
    app.client.refresh_from_db()
    pdf = contracts.render(
        app, number=locked.number, language=locked.language, version=settings.LENDING_CONTRACT_TEMPLATE
    )
    previous = locked.pdf_sha256
    locked.template_version = settings.LENDING_CONTRACT_TEMPLATE
    locked.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    locked.vault_document_id = str(
        store_document(
            pdf,
            media_type="application/pdf",
            kind="loan_contract_draft",
            direction="outbound",
            owner=app.client,
            filename=f"{locked.number}.pdf",
        ).pk
    )
    locked.signing_request_id = ""
    locked.save(update_fields=["template_version", "pdf_sha256", "vault_document_id", "signing_request_id"])
    audit(
        "lending.contract_redrafted",
        actor=app.client,
        target=locked,
        data={
            "number": locked.number,
            "reason": "address",
            "previous_sha256": previous,
            "sha256": locked.pdf_sha256,
        },
    )
    return locked


@transaction.atomic
def start_signing(contract: Contract) -> str:
    """The EDS signing request over the exact PDF (signatures room); returns its id ("" for an IE).
    An expired or closed request is replaced by a new one (``signing.signing_request_id``)."""
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if contract.status != Contract.Status.DRAFT:
        raise FlowError(_("The contract is already signed."))
    _require_address(contract.application.client)
    return signing.signing_request_id(
        contract, contract.application.client, title=f"Договор {contract.number}"
    )


def antifraud(event_kind: str, client: Client, subject: str, **attributes: Any) -> None:
    """The antifraud hook (R-AF-1): FlowError with a safe, translated message when the operation
    is held for the security service or declined. Called outside any transaction so the
    antifraud records stay."""
    from qaryz.antifraud.services import Refused, guard

    try:
        guard(event_kind, client=client, attributes=attributes, subject=subject)
    except Refused as exc:
        raise FlowError(exc.message, "antifraud") from None


def complete_signing(contract: Contract) -> Contract:
    """Signed with a fresh biometric identification and the EDS (R-SIGN-1): both checked, the
    biometric verification consumed (single use), the evidence recorded and stored in the vault.
    The antifraud check runs first (a hold suspends the signing until a security officer decides)."""
    if contract.status == Contract.Status.DRAFT:
        antifraud("signing", contract.application.client, f"contract:{contract.pk}")
    return _complete_signing(contract)


@transaction.atomic
def _complete_signing(contract: Contract) -> Contract:
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    app = contract.application
    if contract.status != Contract.Status.DRAFT or app.status != Status.APPROVED:
        raise FlowError(_("The contract is already signed."))
    _require_address(app.client)
    signing.seal(contract, app.client, kind="contract")
    _transition(app, Status.SIGNED, actor=app.client, note=f"contract {contract.number}")
    from qaryz.lending.signals import contract_signed

    contract_signed.send(sender=Contract, contract=contract)
    return contract


@transaction.atomic
def give_disbursement_consent(application: Application) -> None:
    """The client's additional consent before disbursement, where the rule set requires it (R-DISB-5)."""
    app = Application.objects.select_for_update().get(pk=application.pk)
    if app.status != Status.SIGNED:
        raise FlowError(_("The contract is not signed yet."))
    app.acknowledgements = {
        **app.acknowledgements,
        "disbursement_consent": {"at": timezone.now().isoformat()},
    }
    app.save(update_fields=["acknowledgements"])
    application.acknowledgements = app.acknowledgements


def disbursement_allowed_at(application: Application) -> dt.datetime | None:
    if application.signed_at is None:
        return None
    return application.signed_at + dt.timedelta(hours=application.rule_set.cooling_off_hours)


@transaction.atomic
def mark_disbursed(application: Application, *, actor: Any = None) -> Application:
    """Called by servicing when the money left (R-DISB-5: not before the delay, with consent)."""
    app = Application.objects.select_for_update().get(pk=application.pk)
    allowed = disbursement_allowed_at(app)
    if app.status != Status.SIGNED or allowed is None or timezone.now() < allowed:
        raise FlowError(_("Disbursement is not allowed yet."))
    if app.rule_set.additional_consent_required and "disbursement_consent" not in app.acknowledgements:
        raise FlowError(_("The client's additional consent is required before disbursement."))
    return _transition(app, Status.DISBURSED, actor=actor)


def validation_error(exc: FlowError) -> ValidationError:
    return ValidationError({exc.field or "__all__": exc.message})
