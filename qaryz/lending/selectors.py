"""Read queries of the lending room for views, the API and other rooms."""

from __future__ import annotations

from django.db.models import QuerySet

from qaryz.clients.models import Client
from qaryz.lending.models import Application, ApplicationEvent, Contract, ContractAmendment


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


def amendments_of(contract: Contract) -> QuerySet[ContractAmendment]:
    return ContractAmendment.objects.filter(contract=contract).order_by("sequence")


def amendment_of(contract: Contract, sequence: int) -> ContractAmendment | None:
    return amendments_of(contract).filter(sequence=sequence).first()


def terms_in_force(contract: Contract) -> dict:
    """Term, method, payment day, schedule and effective rate as last amended (for servicing too)."""
    from qaryz.lending.amendments import terms_in_force as _terms

    return _terms(contract)
