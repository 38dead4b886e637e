"""Cash desk (R-DISB-4): the cashier identifies the client against the stored identity document
(for a legal entity: the representative's document and power of attorney); once another staff
member approves it (maker–checker) the money is paid and the loan is active at once. The back-office screen needs servicing.disburse_cash; the client's pages and API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from qaryz.access.testing import make_staff, sign_in_client, sign_in_staff
from qaryz.clients.models import Client, LegalEntitySigner
from qaryz.records.models import AuditEvent
from qaryz.servicing import approvals, payouts
from qaryz.servicing.models import Loan, Payout, Transfer
from qaryz.servicing.services import ServicingError
from qaryz.servicing.tests.payout_helpers import ready_loan, sim_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def cash_loan(product, **kw) -> Loan:
    loan = ready_loan(product, method="cash_desk", register=None, **kw)
    Client.objects.filter(pk=loan.client_id).update(
        id_doc_type="id_card",
        id_doc_number="043512789",
        id_doc_expiry=timezone.localdate() + dt.timedelta(days=900),
    )
    return Loan.objects.select_related("client", "application").get(pk=loan.pk)


def entity_loan(product) -> Loan:
    """A cash-desk loan whose borrower is a legal entity (moved onto one: the signing path of an
    entity is tested in lending)."""
    from qaryz.access.testing import make_client
    from qaryz.lending.models import Application

    loan = ready_loan(product, method="cash_desk", register=None)
    entity = make_client(kind=Client.Kind.LEGAL_ENTITY, legal_name="ТОО «Дала»")
    Loan.objects.filter(pk=loan.pk).update(client=entity)
    Application.objects.filter(pk=loan.application_id).update(client=entity)
    LegalEntitySigner.objects.create(
        client=entity,
        surname="Омаров",
        given_name="Ерлан",
        iin="800101300013",
        id_doc_type="id_card",
        id_doc_number="051234567",
        authority="power_of_attorney",
    )
    return Loan.objects.select_related("client", "application").get(pk=loan.pk)


@pytest.mark.req("R-DISB-4")
def test_cash_payout_after_identification_activates_the_loan(lending_setup, sim):
    loan = cash_loan(lending_setup)
    cashier = make_staff("cash_desk")
    assert loan in payouts.cash_desk_queue()
    with pytest.raises(ServicingError):
        payouts.request_payout(loan)  # the client cannot trigger a cash payout online
    payout = payouts.pay_cash(loan, cashier=cashier, doc_type="id_card", doc_number=" 043512789 ")
    loan.refresh_from_db()
    # Maker–checker (issue 14): recorded, not paid, until another staff member approves it.
    assert payout.status == Payout.Status.APPROVAL and payout.paid_by == cashier
    assert loan.status == Loan.Status.AWAITING and not Transfer.objects.filter(loan=loan).exists()
    assert loan not in payouts.cash_desk_queue()
    with pytest.raises(ServicingError):
        payouts.pay_cash(loan, cashier=cashier, doc_type="id_card", doc_number="043512789")
    payout = approvals.approve(payout.approval, checker=make_staff("accountant"))
    loan.refresh_from_db()
    assert payout.status == Payout.Status.CONFIRMED
    assert (
        payout.identification["doc_type"] == "id_card" and payout.identification["doc_number_last4"] == "2789"
    )
    assert loan.status == Loan.Status.ACTIVE and loan.application.status == "disbursed"
    assert Transfer.objects.filter(loan=loan, kind="disbursement").count() == 2
    assert AuditEvent.objects.filter(action="servicing.cash_paid_out").exists()
    assert loan not in payouts.cash_desk_queue()
    with pytest.raises(ServicingError):
        payouts.pay_cash(loan, cashier=cashier, doc_type="id_card", doc_number="043512789")


@pytest.mark.req("R-DISB-4")
@pytest.mark.parametrize("doc_type,number", [("id_card", "043512788"), ("passport", "043512789")])
def test_a_document_that_does_not_match_refuses_the_payout(lending_setup, sim, doc_type, number):
    loan = cash_loan(lending_setup)
    with pytest.raises(ServicingError) as err:
        payouts.pay_cash(loan, cashier=make_staff("cash_desk"), doc_type=doc_type, doc_number=number)
    assert err.value.field == "doc_number"
    loan.refresh_from_db()
    assert loan.status == Loan.Status.AWAITING and not Payout.objects.exists()
    assert AuditEvent.objects.filter(action="servicing.payout_refused").exists()


@pytest.mark.req("R-DISB-4")
def test_expired_or_missing_document_refuses(lending_setup, sim):
    loan = cash_loan(lending_setup)
    Client.objects.filter(pk=loan.client_id).update(id_doc_expiry=timezone.localdate() - dt.timedelta(days=1))
    with pytest.raises(ServicingError):
        payouts.pay_cash(loan, cashier=make_staff("cash_desk"), doc_type="id_card", doc_number="043512789")
    Client.objects.filter(pk=loan.client_id).update(id_doc_number="", id_doc_type="")
    with pytest.raises(ServicingError):
        payouts.pay_cash(loan, cashier=make_staff("cash_desk"), doc_type="id_card", doc_number="")


@pytest.mark.req("R-DISB-4")
def test_legal_entity_representative_needs_a_power_of_attorney(lending_setup, sim):
    loan = entity_loan(lending_setup)
    cashier = make_staff("cash_desk")
    with pytest.raises(ServicingError) as err:
        payouts.pay_cash(loan, cashier=cashier, doc_type="id_card", doc_number="051234567")
    assert err.value.field == "poa_number"
    with pytest.raises(ServicingError):
        payouts.pay_cash(
            loan,
            cashier=cashier,
            doc_type="id_card",
            doc_number="043512789",
            poa_number="Д-12",
            poa_date=timezone.localdate(),
        )  # not the representative's document
    payout = payouts.pay_cash(
        loan,
        cashier=cashier,
        doc_type="id_card",
        doc_number="051234567",
        poa_number="Д-12",
        poa_date=timezone.localdate(),
    )
    assert payout.identification["poa_number"] == "Д-12"
    assert payout.identification["representative_iin"] == "800101300013"


@pytest.mark.req("R-DISB-4", "R-DISB-5")
def test_cash_desk_respects_the_cooling_off(lending_setup, sim):
    loan = cash_loan(lending_setup, wait=False)
    with pytest.raises(ServicingError) as err:
        payouts.pay_cash(loan, cashier=make_staff("cash_desk"), doc_type="id_card", doc_number="043512789")
    assert err.value.field == "cooling_off"


@pytest.mark.req("R-DISB-4")
def test_cash_desk_screen(lending_setup, sim, client):
    loan = cash_loan(lending_setup)
    sign_in_staff(client, make_staff("underwriter"))
    assert client.get("/backoffice/cash-desk/").status_code == 403
    sign_in_staff(client, make_staff("cash_desk"))
    page = client.get("/backoffice/cash-desk/", HTTP_ACCEPT_LANGUAGE="ru")
    assert page.status_code == 200 and loan.number in page.content.decode()
    url = f"/backoffice/cash-desk/{loan.pk}/"
    wrong = client.post(url, {"doc_type": "id_card", "doc_number": "000000000", "identified": "on"})
    assert wrong.status_code == 200 and 'class="error"' in wrong.content.decode()
    unchecked = client.post(url, {"doc_type": "id_card", "doc_number": "043512789"})
    assert unchecked.status_code == 200
    loan.refresh_from_db()
    assert loan.status == Loan.Status.AWAITING
    done = client.post(url, {"doc_type": "id_card", "doc_number": "043512789", "identified": "on"})
    assert done.status_code == 302
    loan.refresh_from_db()
    assert loan.status == Loan.Status.AWAITING  # waits for the second approval
    approvals.approve(Payout.objects.get(loan=loan).approval, checker=make_staff("accountant"))
    loan.refresh_from_db()
    assert loan.status == Loan.Status.ACTIVE


# --- the client's payout step: web and API --------------------------------------------------------------------
@pytest.mark.req("R-DISB-5", "R-DISB-1")
def test_client_payout_page_consent_and_receive(lending_setup, sim, client):
    loan = ready_loan(lending_setup, consent=False)
    sign_in_client(client, loan.client)
    url = f"/servicing/loans/{loan.pk}/payout/"
    page = client.get(url)
    assert page.status_code == 200 and 'id="consent-button"' in page.content.decode()
    assert 'id="receive-button"' not in page.content.decode()
    client.post(f"{url}consent/")
    page = client.get(url).content.decode()
    assert 'id="receive-button"' in page
    for _ in range(2):  # a double submit of the same form is one payout
        assert client.post(f"{url}request/", {"key": "form-key-1"}).status_code == 302
    assert Payout.objects.filter(loan=loan).count() == 1
    assert 'data-state="sent"' in client.get(url).content.decode()
    sim.deliver_pending()
    assert 'data-state="paid"' in client.get(url).content.decode()


def test_someone_elses_loan_is_not_found(lending_setup, sim, client):
    loan = ready_loan(lending_setup)
    other = ready_loan(lending_setup)
    sign_in_client(client, other.client)
    assert client.get(f"/servicing/loans/{loan.pk}/payout/").status_code == 404
    assert client.post(f"/servicing/loans/{loan.pk}/payout/request/").status_code == 404
    assert not Payout.objects.exists()


@pytest.mark.req("R-DISB-5", "R-DISB-2")
def test_api_status_consent_and_request(lending_setup, sim, client):
    from qaryz.access.services import issue_api_token

    loan = ready_loan(lending_setup, consent=False, payout_iban="KZ09125KZT5004100200")
    headers = {
        "HTTP_AUTHORIZATION": f"Bearer {issue_api_token(loan.client)[0]}",
        "HTTP_ACCEPT_LANGUAGE": "ru",
    }
    base = f"/api/v1/servicing/loans/{loan.pk}/payout"
    status = client.get(base, **headers).json()
    assert status["state"] == "awaiting" and status["consent_required"] and not status["can_request"]
    refused = client.post(
        base, {"idempotency_key": "api-key-0001"}, content_type="application/json", **headers
    )
    assert refused.status_code == 422
    assert client.post(f"{base}/consent", **headers).json()["consent_given"]
    refused = client.post(
        base, {"idempotency_key": "api-key-0001"}, content_type="application/json", **headers
    )
    assert refused.status_code == 422 and "IBAN" in refused.json()["detail"]
    from qaryz.lending.models import Application

    Application.objects.filter(pk=loan.application_id).update(payout_iban="")
    ok = client.post(base, {"idempotency_key": "api-key-0001"}, content_type="application/json", **headers)
    assert ok.status_code == 200 and ok.json()["state"] == "sent"
    bad = client.post(base, {"idempotency_key": "x"}, content_type="application/json", **headers)
    assert bad.status_code == 422
    assert client.get(base).status_code == 401
