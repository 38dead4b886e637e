"""Read queries of the lending room for views, the API and other rooms."""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from qaryz.clients.models import Client
from qaryz.compliance import selectors as compliance_selectors
from qaryz.compliance.models import Screening
from qaryz.lending.models import (
    Application,
    ApplicationEvent,
    BureauReport,
    Contract,
    ContractAmendment,
    Decision,
)


def applications_of(client: Client) -> QuerySet[Application]:
    return (
        Application.objects.filter(client=client)
        .select_related("product", "rule_set")
        .order_by("-created_at")
    )


def application_of(client: Client, application_id: int) -> Application | None:
    return applications_of(client).filter(pk=application_id).first()


def timeline(application: Application) -> list[ApplicationEvent]:
    return list(ApplicationEvent.objects.filter(application=application).order_by("at", "id"))


def contract_of(application: Application) -> Contract | None:
    return Contract.objects.filter(application=application).first()


def applications_in_review() -> QuerySet[Application]:
    """The staff review queue (shown by the back office)."""
    return (
        Application.objects.filter(status=Application.Status.REVIEW)
        .select_related("client")
        .order_by("submitted_at")
    )


def review_reasons(application: Application) -> list[dict]:
    """The rules that sent the application to manual review (from its automatic decision)."""
    decisions = [d for d in application.decisions.all() if d.automatic]
    if not decisions:
        return []
    latest = max(decisions, key=lambda d: (d.created_at, d.pk))
    return [r for r in latest.rules if r.get("outcome") == "review"]


def review_queue() -> list[tuple[Application, list[dict]]]:
    """The staff review queue, oldest submission first, each with why it is in review."""
    apps = applications_in_review().select_related("product").prefetch_related("decisions")
    return [(app, review_reasons(app)) for app in apps]


def application_for_staff(application_id: int) -> Application | None:
    return (
        Application.objects.select_related("client", "product", "rule_set")
        .prefetch_related("decisions")
        .filter(pk=application_id)
        .first()
    )


def application_of_screening(screening: Screening) -> Application | None:
    """The application an AML screening was made for (None for re-screens and manual checks)."""
    if screening.context == "application" and str(screening.context_id).isdigit():
        return application_for_staff(int(screening.context_id))
    return None


def review_file(application: Application) -> dict:
    """What the underwriter decides on: the automatic decision (inputs, rules, score), the bureau
    report, the AML screening, the offer an approval today would make, and the timeline."""
    from qaryz.lending.services import _offer, aml_hold

    decisions = list(Decision.objects.filter(application=application).select_related("decided_by"))
    automatic = next((d for d in decisions if d.automatic), None)
    offer = _offer(application) if application.status == Application.Status.REVIEW else None
    return {
        "decision": automatic,
        "decisions": decisions,
        "reasons": [r for r in automatic.rules if r.get("outcome") == "review"] if automatic else [],
        "bureau": BureauReport.objects.filter(application=application).order_by("-requested_at").first(),
        "screening": compliance_selectors.screening_for("application", str(application.pk)),
        "offer": offer[0] if offer else (application.offer_schedule or None),
        "offer_rate": offer[1] if offer else application.effective_rate_percent,
        "aml_hold": aml_hold(application),
        "timeline": timeline(application),
    }


def amendments_of(contract: Contract) -> QuerySet[ContractAmendment]:
    return ContractAmendment.objects.filter(contract=contract).order_by("sequence")


def amendment_of(contract: Contract, sequence: int) -> ContractAmendment | None:
    return amendments_of(contract).filter(sequence=sequence).first()


def terms_in_force(contract: Contract) -> dict:
    """Term, method, payment day, schedule and effective rate as last amended (for servicing too)."""
    from qaryz.lending.amendments import terms_in_force as _terms

    return _terms(contract)


def document_pdf(document: Contract | ContractAmendment) -> bytes:
    """The exact PDF of a contract or an amendment, read from the records vault – the only place
    its bytes are kept (R-3P-1, docs/lending.md). The vault checks its own SHA-256; the bytes must
    also match the SHA-256 recorded on the document when it was prepared (the hash that was shown,
    signed and put into the signing evidence). Raises ``DocumentIntegrityError`` otherwise, and
    ``DocumentUnavailable`` once the vault copy was deleted after its retention period."""
    from qaryz.records.models import StoredDocument
    from qaryz.records.services import DocumentIntegrityError, read_document

    stored = None
    if document.vault_document_id:
        try:
            stored = StoredDocument.objects.filter(pk=document.vault_document_id).first()
        except (ValueError, ValidationError):
            stored = None
    if stored is None:
        raise DocumentIntegrityError(f"{document.number}: the vault copy is missing")
    content = read_document(stored)
    if hashlib.sha256(content).hexdigest() != document.pdf_sha256:
        raise DocumentIntegrityError(
            f"{document.number}: the vault copy does not match the document's SHA-256"
        )
    return content
