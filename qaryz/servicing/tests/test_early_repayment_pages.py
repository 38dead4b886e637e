"""The early-repayment calculator in the cabinet and the API (R-CAB-5; issue 10 item 4): the new
schedule is shown before confirming, the confirmation calls ``repayments.repay_early``.

The first tests run the page against a stand-in of ``repayments`` with the documented contract
(qaryz/servicing/early.py); the last ones run against the real module and are skipped only until
it is merged."""

from __future__ import annotations

import datetime as dt
import sys
import types

import pytest
from django.utils import timezone

import qaryz.servicing
from qaryz.access.services import issue_api_token
from qaryz.access.testing import sign_in_client
from qaryz.lending.tests.factories import make_client
from qaryz.servicing import early
from qaryz.servicing.models import Instalment, Loan, Payment
from qaryz.servicing.services import ServicingError
from qaryz.servicing.tests.factories import active_loan

pytestmark = pytest.mark.django_db


@pytest.fixture
def loan(lending_setup):
    return active_loan(lending_setup, timezone.localdate() - dt.timedelta(days=10))


@pytest.fixture
def stand_in(monkeypatch):
    """A ``repayments`` with the documented signatures that records what it was asked."""
    calls: list[tuple] = []

    def early_repayment_quote(loan, on, *, amount=None, mode="shorter_term"):
        calls.append(("quote", loan.pk, mode, amount, on))
        if amount is not None and amount > loan.principal_current:
            raise ServicingError("Сумма больше остатка долга.", field="amount")
        rows = list(Instalment.objects.filter(loan=loan, version=loan.schedule_version).order_by("number"))
        if mode == "full":
            return {
                "amount": loan.principal_current + 1234,
                "interest_to_day": 1234,
                "to_pay": 0,
                "schedule": [],
            }
        kept = rows[: len(rows) - 3] if mode == "shorter_term" else rows
        return types.SimpleNamespace(
            amount=amount,
            to_pay=0,
            interest_to_day=0,
            schedule=[
                {
                    "number": r.number,
                    "due_date": r.due_date,
                    "principal": r.principal // 2,
                    "interest": r.interest // 2,
                }
                for r in kept
            ],
        )

    def repay_early(loan, *, mode, on=None, amount=None, channel=None, payer_reference=None, actor=None):
        calls.append(("repay", loan.pk, mode, amount, on, actor.pk))

    fake = types.ModuleType("qaryz.servicing.repayments")
    fake.early_repayment_quote = early_repayment_quote
    fake.repay_early = repay_early
    monkeypatch.setitem(sys.modules, "qaryz.servicing.repayments", fake)
    monkeypatch.setattr(qaryz.servicing, "repayments", fake, raising=False)
    return calls


@pytest.mark.req("R-CAB-5")
def test_calculator_shows_the_new_schedule_before_confirming_then_confirms(client, loan, stand_in):
    sign_in_client(client, loan.client)
    url = f"/servicing/loans/{loan.pk}/early-repayment/"
    assert 'id="early-link"' in client.get(f"/servicing/loans/{loan.pk}/").content.decode()
    page = client.get(url, {"mode": "shorter_term", "amount": "50 000,00"}).content.decode()
    assert 'id="quote-schedule"' in page and 'id="early-confirm"' in page
    assert page.count("<tr><td>", page.index('id="quote-schedule"')) == loan.term_months - 3
    assert stand_in == [("quote", loan.pk, "shorter_term", 50000_00, timezone.localdate())]
    response = client.post(url, {"mode": "shorter_term", "amount": "50000.00", "confirm": "1"})
    assert response.status_code == 302 and response["Location"] == f"/servicing/loans/{loan.pk}/"
    assert stand_in[-1] == ("repay", loan.pk, "shorter_term", 50000_00, timezone.localdate(), loan.client.pk)


def test_full_repayment_quote_closes_the_loan_and_refusals_are_shown_on_the_form(client, loan, stand_in):
    sign_in_client(client, loan.client)
    url = f"/servicing/loans/{loan.pk}/early-repayment/"
    page = client.get(url, {"mode": "full"}).content.decode()
    assert "кредит погашен полностью" in page and 'id="quote-schedule"' not in page
    page = client.get(url, {"mode": "lower_instalment", "amount": "999999999"}).content.decode()
    assert "Сумма больше остатка долга." in page and 'id="early-confirm"' not in page
    page = client.get(url, {"mode": "lower_instalment", "amount": ""}).content.decode()
    assert "Укажите сумму" in page and len(stand_in) == 2  # no call without an amount
    client.post(url, {"mode": "full"})  # no confirm flag: a quote, not a repayment
    assert all(call[0] == "quote" for call in stand_in)


@pytest.mark.req("R-CAB-5", "R-MOB-1")
def test_api_quote_and_confirm(client, loan, stand_in):
    token, _session = issue_api_token(loan.client)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    url = f"/api/v1/servicing/loans/{loan.pk}/early-repayment"
    body = client.post(f"{url}/quote", {"mode": "full"}, content_type="application/json", **auth).json()
    assert body["closes_loan"] is True and body["interest_to_date"] == "12.34"
    response = client.post(f"{url}/quote", {"mode": "shorter_term"}, content_type="application/json", **auth)
    assert response.status_code == 422
    response = client.post(
        f"{url}/quote",
        {"mode": "shorter_term", "amount": "999999999"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 422 and "amount" in response.json()["detail"]
    response = client.post(
        url, {"mode": "lower_instalment", "amount": "1000"}, content_type="application/json", **auth
    )
    assert response.status_code == 200 and stand_in[-1][:4] == ("repay", loan.pk, "lower_instalment", 1000_00)
    other = {"HTTP_AUTHORIZATION": f"Bearer {issue_api_token(make_client())[0]}"}
    assert (
        client.post(f"{url}/quote", {"mode": "full"}, content_type="application/json", **other).status_code
        == 404
    )


def test_without_the_repayments_module_the_page_says_so(client, loan, monkeypatch):
    monkeypatch.setattr(early, "_repayments", lambda: None)
    sign_in_client(client, loan.client)
    page = client.get(f"/servicing/loans/{loan.pk}/early-repayment/", {"mode": "full"}).content.decode()
    assert 'id="early-unavailable"' in page and 'id="early-quote"' not in page


# --- against the real repayments module (skipped only until it is merged) -----------------------
needs_repayments = pytest.mark.skipif(
    not early.available(),
    reason="qaryz.servicing.repayments (early_repayment_quote, repay_early) not merged yet",
)


def _pay_by_card(client, loan, amount: str, back: str) -> None:
    """The cabinet's card payment: acquirer order, the (embedded) acquirer's page, its webhook."""
    response = client.post(f"/servicing/loans/{loan.pk}/pay/", {"amount": amount, "next": back})
    assert response.status_code == 302 and "/servicing/demo-acquirer/" in response["Location"]
    page = response["Location"]
    assert client.get(page).status_code == 200
    declined = client.post(page, {"card": "4000 0000 0000 0002", "next": back}).content.decode()
    assert 'id="card-error"' in declined
    done = client.post(page, {"card": "4111 1111 1111 1111", "next": back})
    assert done.status_code == 302 and done["Location"] == back


def _closed_through_yesterday(loan: Loan) -> None:
    """Early repayment is made today once the previous business day is closed."""
    from qaryz.servicing import close_of_day

    close_of_day.run(timezone.localdate() - dt.timedelta(days=1), send_notices=False)
    loan.refresh_from_db()


@needs_repayments
@pytest.mark.req("R-CAB-5")
def test_real_partial_early_repayment_through_the_page(client, loan):
    _closed_through_yesterday(loan)
    sign_in_client(client, loan.client)
    url = f"/servicing/loans/{loan.pk}/early-repayment/"
    page = client.get(url, {"mode": "shorter_term", "amount": "50000"}).content.decode()
    assert (
        'id="quote-schedule"' in page and 'id="early-pay-card"' in page and 'id="early-confirm"' not in page
    )
    _pay_by_card(client, loan, "50000", f"{url}?mode=shorter_term&amount=50000")
    assert Payment.objects.filter(loan=loan, channel="card", amount=50000_00).exists()
    page = client.get(url, {"mode": "shorter_term", "amount": "50000"}).content.decode()
    assert 'id="early-confirm"' in page
    before = Instalment.objects.filter(loan=loan, version=1).count()
    response = client.post(url, {"mode": "shorter_term", "amount": "50000", "confirm": "1"})
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.schedule_version == 2
    assert Instalment.objects.filter(loan=loan, version=2).count() < before
    body = client.get(f"/servicing/loans/{loan.pk}/").content.decode()
    assert "/servicing/receipts/" in body  # the card payment's receipt


@needs_repayments
@pytest.mark.req("R-CAB-5")
def test_real_full_early_repayment_through_the_page(client, loan):
    from qaryz.servicing import repayments

    _closed_through_yesterday(loan)
    sign_in_client(client, loan.client)
    url = f"/servicing/loans/{loan.pk}/early-repayment/"
    quote = repayments.early_repayment_quote(loan, timezone.localdate(), mode="full")
    amount = f"{quote.to_pay // 100}.{quote.to_pay % 100:02d}"
    assert 'id="early-pay-card"' in client.get(url, {"mode": "full"}).content.decode()
    _pay_by_card(client, loan, amount, f"{url}?mode=full")
    client.post(url, {"mode": "full", "confirm": "1"})
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED
