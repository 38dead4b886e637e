"""Refunds to the client through the payout port (issue 10 item 4; Rules §13 R-FRAUD-4): only to
the client's verified account, once per key – 20 concurrent requests give one bank transfer and
one ledger entry (PostgreSQL: real row locks) – and booked on the bank's confirmation."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from qaryz.access.testing import sign_in_client
from qaryz.clients.models import BankAccount
from qaryz.servicing import ledger_check, payouts, repayments
from qaryz.servicing.models import Loan, RefundPayout, SimulatedBankTransfer, Transfer
from qaryz.servicing.services import ServicingError
from qaryz.servicing.tests.factories import active_loan
from qaryz.servicing.tests.payout_helpers import IBAN, sim_fixture  # noqa: F401
from qaryz.servicing.tests.test_close_of_day import START

REQUESTS = 20


def overpaid_loan(product, *, account: str | None = IBAN) -> Loan:
    loan = active_loan(product, START)
    if account:
        BankAccount.objects.create(client=loan.client, kind="iban", value=account)
    repayments.post_payment(
        loan, channel="bank", payer_reference=f"adv-{loan.pk}", amount_tiyn=12_345_00, value_date=START
    )
    loan.refresh_from_db()
    assert loan.advance == 12_345_00
    return loan


@pytest.mark.req("R-FRAUD-4")
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_twenty_concurrent_refund_requests_pay_once(lending_setup, sim):
    loan = overpaid_loan(lending_setup)
    repayments.refund_advance(loan)
    barrier = threading.Barrier(REQUESTS)
    results: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        try:
            barrier.wait()
            refund = payouts.send_refund(
                Loan.objects.get(pk=loan.pk), amount_tiyn=12_345_00, key="court-verdict-1", actor="system"
            )
            with lock:
                results.append(refund.pk)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        list(pool.map(attempt, range(REQUESTS)))
    assert not errors, errors[:3]
    assert len(results) == REQUESTS and len(set(results)) == 1
    assert RefundPayout.objects.filter(loan=loan).count() == 1
    assert SimulatedBankTransfer.objects.count() == 1
    # The webhook delivered twice (a retry) and a reconcile: still one confirmation entry.
    sim.deliver_pending()
    SimulatedBankTransfer.objects.update(webhook_delivered_at=None)
    sim.deliver_pending()
    payouts.reconcile(older_than_minutes=0)
    loan.refresh_from_db()
    assert loan.refund_payable == 0
    assert Transfer.objects.filter(loan=loan, kind="refund_paid").count() == 1
    assert RefundPayout.objects.get(loan=loan).status == RefundPayout.Status.CONFIRMED
    assert list(ledger_check.differences()) == []
    assert connection.vendor == "postgresql"


@pytest.mark.django_db
def test_a_refund_goes_only_to_the_clients_verified_account(lending_setup, sim, settings):
    loan = overpaid_loan(lending_setup, account=None)
    repayments.refund_advance(loan)
    with pytest.raises(ServicingError):  # no registered account
        payouts.send_refund(loan, amount_tiyn=100, key="k1")
    BankAccount.objects.create(client=loan.client, kind="iban", value="KZ000000000000000777")
    settings.PAYOUT_SIM_ACCOUNTS = {"KZ000000000000000777": "?"}  # the bank cannot confirm it
    with pytest.raises(ServicingError):
        payouts.send_refund(loan, amount_tiyn=100, key="k2")
    other = BankAccount.objects.create(client=loan.client, kind="iban", value=IBAN, is_current=False)
    with pytest.raises(ServicingError):  # not the current account
        payouts.send_refund(loan, amount_tiyn=100, key="k3", account=other)
    assert not RefundPayout.objects.exists() and not SimulatedBankTransfer.objects.exists()


@pytest.mark.django_db
def test_never_more_than_the_refund_payable_and_a_failed_refund_can_be_sent_again(lending_setup, sim):
    loan = overpaid_loan(lending_setup)
    repayments.refund_advance(loan)
    with pytest.raises(ServicingError):
        payouts.send_refund(loan, amount_tiyn=12_345_01, key="too-much")
    first = payouts.send_refund(loan, amount_tiyn=12_345_00, key="a")
    with pytest.raises(ServicingError):  # the payable is on its way already
        payouts.send_refund(loan, amount_tiyn=1, key="b")
    payouts.apply_refund_outcome(first.key, "failed", reason="account closed")
    again = payouts.send_refund(loan, amount_tiyn=12_345_00, key="c")
    assert again.pk != first.pk and again.status == RefundPayout.Status.SENT


@pytest.mark.django_db
def test_the_cabinet_refund_request_pays_the_overpayment_out(client, lending_setup, sim):
    """Issue 10 item 4: the client's "refund my overpayment" now pays out to the verified account."""
    loan = overpaid_loan(lending_setup)
    sign_in_client(client, loan.client)
    page = client.get(f"/servicing/loans/{loan.pk}/").content.decode()
    assert 'id="refund-button"' in page
    response = client.post(f"/servicing/loans/{loan.pk}/refund/", {"key": "form-1"})
    assert response.status_code == 302
    client.post(f"/servicing/loans/{loan.pk}/refund/", {"key": "form-1"})  # a double submission
    refund = RefundPayout.objects.get(loan=loan)
    assert refund.amount == 12_345_00 and refund.purpose == RefundPayout.Purpose.OVERPAYMENT
    sim.deliver_pending()
    loan.refresh_from_db()
    assert loan.advance == 0 and loan.refund_payable == 0
    assert Transfer.objects.filter(loan=loan, kind="refund_paid").count() == 1
    page = client.get(f"/servicing/loans/{loan.pk}/").content.decode()
    assert 'data-status="confirmed"' in page and 'id="refund-button"' not in page
    assert list(ledger_check.differences()) == []
