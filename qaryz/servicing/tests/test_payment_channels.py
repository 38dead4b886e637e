"""Incoming channels: card acquirer webhook (HMAC-signed, idempotent), bank statement import by
payment reference, cash terminal, and the back-office cash desk (servicing.post_payment)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from qaryz.access.testing import make_staff, sign_in_staff
from qaryz.servicing import repayments
from qaryz.servicing.adapters.acquirer_embedded import (
    SIGNATURE_HEADER,
    EmbeddedAcquirer,
    EmbeddedIncomingBank,
    sign,
)
from qaryz.servicing.models import Payment
from qaryz.servicing.payments_ports import AcquirerError
from qaryz.servicing.services import ServicingError
from qaryz.servicing.tests.factories import active_loan

pytestmark = pytest.mark.django_db
START = dt.date(2026, 12, 10)
CARD = "4111111111111111"


@pytest.fixture
def loan(lending_setup):
    return active_loan(lending_setup, START)


def test_card_payment_arrives_by_signed_webhook_once(loan, client):
    acquirer = EmbeddedAcquirer()
    charge = acquirer.create_charge(payment_reference=loan.payment_reference, amount=2500_00)
    body, signature = acquirer.pay(charge.order_id, CARD)
    payment = Payment.objects.get(channel="card", loan=loan)
    assert payment.amount == 2500_00 and payment.payer_reference == json.loads(body)["payment_id"]
    acquirer.redeliver(charge.order_id)  # the acquirer retries: nothing posted twice
    response = client.post(
        "/servicing/acquirer/webhook/",
        body,
        content_type="application/json",
        **{"HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_"): signature},
    )
    assert response.status_code == 200 and response.json()["payment"] == payment.pk
    assert Payment.objects.filter(channel="card").count() == 1


def test_webhook_with_a_bad_signature_is_refused(loan, client):
    body = json.dumps(
        {
            "event": "payment.succeeded",
            "payment_id": "acq_forged",
            "order_id": "x",
            "payment_reference": loan.payment_reference,
            "amount": 10**9,
            "paid_on": "2026-12-11",
        }
    ).encode()
    header = "HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_")
    assert (
        client.post(
            "/servicing/acquirer/webhook/", body, content_type="application/json", **{header: "00" * 32}
        ).status_code
        == 400
    )
    assert (
        client.post("/servicing/acquirer/webhook/", body, content_type="application/json").status_code == 400
    )
    assert not Payment.objects.exists()
    with pytest.raises(AcquirerError):
        EmbeddedAcquirer().pay(
            EmbeddedAcquirer().create_charge(payment_reference=loan.payment_reference, amount=1).order_id,
            "4111111111110002",
        )
    # Signed but for an unknown loan: a clear 422, nothing posted.
    body = body.replace(loan.payment_reference.encode(), b"00000000000")
    assert (
        client.post(
            "/servicing/acquirer/webhook/", body, content_type="application/json", **{header: sign(body)}
        ).status_code
        == 422
    )


def test_bank_statement_import_matches_the_payment_reference(loan):
    bank = EmbeddedIncomingBank()
    bank.statement()  # drain lines left by other tests
    matched = bank.push_transfer(
        amount=3000_00,
        purpose=f"Погашение займа {loan.payment_reference}",
        value_date=START + dt.timedelta(days=2),
    )
    bank.push_transfer(amount=100_00, purpose="no reference here 12345678901")
    result = repayments.fetch_statement()
    assert [p.payer_reference for p in result.posted] == [matched.bank_reference]
    assert len(result.unmatched) == 1
    again = repayments.import_statement([matched])  # the same statement twice
    assert again.posted[0].pk == result.posted[0].pk
    assert Payment.objects.filter(channel="bank").count() == 1
    loan.refresh_from_db()
    assert loan.advance == 3000_00


def test_cash_terminal_payment_is_deduplicated_by_its_receipt(loan):
    kwargs = {
        "terminal_id": "T-17",
        "receipt_number": "000451",
        "payment_reference": loan.payment_reference,
        "amount_tiyn": 1000_00,
        "value_date": START,
    }
    first = repayments.terminal_payment(**kwargs)
    assert repayments.terminal_payment(**kwargs).pk == first.pk
    with pytest.raises(ServicingError):
        repayments.terminal_payment(**{**kwargs, "payment_reference": "12345678901"})


def test_cash_desk_form_needs_the_permission_and_posts_once(loan, client):
    sign_in_staff(client, make_staff("underwriter"))
    assert client.get("/servicing/cash-desk/payment/").status_code == 403
    client.logout()
    cashier = make_staff("cash_desk")
    sign_in_staff(client, cashier)
    page = client.get("/servicing/cash-desk/payment/")
    assert page.status_code == 200
    token = page.context["form"].initial["token"]
    data = {"loan": loan.number, "amount": "12 500,50", "cash_order": "KO-77", "token": token}
    response = client.post("/servicing/cash-desk/payment/", data)
    assert response.status_code == 302
    client.post("/servicing/cash-desk/payment/", data)  # double submission
    payment = Payment.objects.get(channel="cash_desk")
    assert payment.amount == 12500_50 and payment.posted_by == cashier
    bad = client.post("/servicing/cash-desk/payment/", {**data, "amount": "-5", "token": "t2"})
    assert bad.status_code == 200 and bad.context["form"].errors["amount"]
    unknown = client.post("/servicing/cash-desk/payment/", {**data, "loan": "nope", "token": "t3"})
    assert unknown.context["form"].errors["loan"]


def test_money_naming_no_loan_waits_in_suspense_until_an_operator_assigns_it(loan, client):
    """A statement line without a known payment reference is not lost: clearing → suspense, one
    item per bank reference; the cashier assigns it to a loan and it is posted as that loan's
    payment (once); check_ledger ties the suspense account to the open items."""
    from django.core.management import call_command

    from qaryz.servicing.models import SuspenseItem

    bank = EmbeddedIncomingBank()
    bank.statement()
    line = bank.push_transfer(amount=4200_00, purpose="за маму, договор не помню", value_date=START)
    repayments.fetch_statement()
    repayments.import_statement([line])  # the same line again: still one item
    item = SuspenseItem.objects.get()
    assert item.amount == 4200_00 and item.status == SuspenseItem.Status.OPEN
    call_command("check_ledger")

    sign_in_staff(client, make_staff("underwriter"))
    assert client.get("/servicing/suspense/").status_code == 403
    client.logout()
    cashier = make_staff("cash_desk")
    sign_in_staff(client, cashier)
    page = client.get("/servicing/suspense/", HTTP_ACCEPT_LANGUAGE="kk")
    assert page.status_code == 200 and "за маму" in page.content.decode()
    wrong = client.post(f"/servicing/suspense/{item.pk}/assign/", {"loan": "nope"}, follow=True)
    assert "nope" not in wrong.content.decode() and SuspenseItem.objects.get().status == "open"
    client.post(f"/servicing/suspense/{item.pk}/assign/", {"loan": loan.payment_reference})
    client.post(f"/servicing/suspense/{item.pk}/assign/", {"loan": loan.payment_reference})  # twice
    item.refresh_from_db()
    assert item.status == SuspenseItem.Status.ASSIGNED and item.assigned_by == cashier
    payment = Payment.objects.get(channel="bank", loan=loan)
    assert payment == item.payment and payment.payer_reference == line.bank_reference
    loan.refresh_from_db()
    assert loan.advance == 4200_00
    call_command("check_ledger")
