"""Maker–checker of money leaving the MFO (issue 14 item 1): a payout above the threshold, every
cash-desk payout, refund to a fraud victim and suspense return waits for a second staff member,
never its maker; approval sends it through the payout's own idempotent path, once."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, connection, connections, transaction
from django.utils import translation

from qaryz.access.testing import make_staff, sign_in_client, sign_in_staff
from qaryz.records.models import AuditEvent
from qaryz.servicing import approvals, payouts
from qaryz.servicing.models import Loan, Payout, PayoutApproval, SimulatedBankTransfer, Transfer
from qaryz.servicing.services import ServicingError
from qaryz.servicing.tests.payout_helpers import ready_loan, sim_fixture  # noqa: F401 – the fixture
from qaryz.servicing.tests.test_payout_cash_desk import cash_loan

pytestmark = [pytest.mark.django_db, pytest.mark.req("R-ACC-1", "R-DISB-1")]


@pytest.fixture(name="low_threshold")
def low_threshold_fixture(settings) -> None:
    settings.PAYOUT_SECOND_APPROVAL_ABOVE = 100_000  # KZT: the test loans pay out ~300,000


def test_a_payout_below_the_threshold_goes_out_at_once(lending_setup, sim, settings):
    settings.PAYOUT_SECOND_APPROVAL_ABOVE = 10_000_000
    payout = payouts.request_payout(ready_loan(lending_setup))
    assert payout.status == Payout.Status.SENT and not PayoutApproval.objects.exists()


def test_a_payout_above_the_threshold_waits_for_a_staff_approval(lending_setup, sim, low_threshold):
    loan = ready_loan(lending_setup)
    payout = payouts.request_payout(loan, key="k1")
    assert payout.status == Payout.Status.APPROVAL and SimulatedBankTransfer.objects.count() == 0
    assert payouts.request_payout(loan, key="k2").pk == payout.pk  # one live payout per loan
    with translation.override("ru"):
        status = payouts.payout_status(loan)
    assert (
        status["state"] == "approval" and not status["can_request"] and "утвержд" in status["label"].lower()
    )
    payouts.reconcile(older_than_minutes=0)  # the reconcile job never sends it either
    assert SimulatedBankTransfer.objects.count() == 0
    approval = PayoutApproval.objects.get()
    assert approval.maker is None and approval.kind == "payout"  # the client asked
    sent = approvals.approve(approval, checker=make_staff("accountant"))
    assert sent.status == Payout.Status.SENT and SimulatedBankTransfer.objects.count() == 1
    sim.deliver_pending()
    loan.refresh_from_db()
    assert loan.status == Loan.Status.ACTIVE
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"servicing.payout_approval_requested", "servicing.payout_approved"} <= actions
    from qaryz.records.descriptions import describe

    with translation.override("ru"):  # readable in the audit viewer
        assert describe("servicing.payout_approved") == "Выплата одобрена вторым сотрудником"
    with translation.override("kk"):
        assert "мақұлда" in describe("servicing.payout_approval_requested")


def test_the_maker_never_approves_their_own_payout(lending_setup, sim):
    loan = cash_loan(lending_setup)
    cashier = make_staff("cash_desk")
    cashier.groups.add(Group.objects.get(name="accountant"))  # holds both roles
    payout = payouts.pay_cash(loan, cashier=cashier, doc_type="id_card", doc_number="043512789")
    approval = payout.approval
    assert approval.maker == cashier and approval.kind == "cash_desk"
    with translation.override("en"), pytest.raises(ServicingError, match="another staff member"):
        approvals.approve(approval, checker=cashier)
    with pytest.raises(ServicingError):
        approvals.reject(approval, checker=cashier, reason="mine")
    with pytest.raises(ServicingError):  # no approval right at all
        approvals.approve(approval, checker=make_staff("cash_desk"))
    loan.refresh_from_db()
    assert loan.status == Loan.Status.AWAITING and PayoutApproval.objects.get().status == "pending"
    with pytest.raises(IntegrityError), transaction.atomic():  # the database refuses it too
        PayoutApproval.objects.filter(pk=approval.pk).update(checker=cashier)
    approvals.approve(approval, checker=make_staff("accountant"))
    with pytest.raises(ServicingError):  # decided already
        approvals.approve(approval, checker=make_staff("accountant"))
    loan.refresh_from_db()
    assert loan.status == Loan.Status.ACTIVE


def test_a_rejected_payout_sends_nothing_and_may_be_asked_again(lending_setup, sim, low_threshold):
    loan = ready_loan(lending_setup)
    payout = payouts.request_payout(loan, key="a")
    checker = make_staff("accountant")
    with pytest.raises(ServicingError) as err:
        approvals.reject(payout.approval, checker=checker, reason="   ")
    assert err.value.field == "reason"
    failed = approvals.reject(payout.approval, checker=checker, reason="the IBAN looks wrong")
    assert failed.status == Payout.Status.FAILED and "IBAN" in failed.failure_reason
    assert SimulatedBankTransfer.objects.count() == 0
    with translation.override("ru"):
        status = payouts.payout_status(loan)
    assert status["state"] == "rejected" and status["can_request"]
    again = payouts.request_payout(loan, key="b")
    assert again.pk != payout.pk and again.status == Payout.Status.APPROVAL


def test_a_webhook_cannot_settle_a_payout_awaiting_approval(lending_setup, sim, low_threshold):
    payout = payouts.request_payout(ready_loan(lending_setup))
    body = json.dumps({"key": payout.key, "state": "paid", "amount": payout.amount}).encode()
    payouts.handle_webhook(body, payouts.webhook_signature(body))
    payout.refresh_from_db()
    assert payout.status == Payout.Status.APPROVAL and not Transfer.objects.filter(loan=payout.loan).exists()


def test_a_rejected_suspense_return_puts_the_payment_back(lending_setup, sim):
    from qaryz.servicing.models import SuspenseItem
    from qaryz.servicing.tests.factories import active_loan
    from qaryz.servicing.tests.test_suspense_returns import START, _item

    active_loan(lending_setup, START)  # the chart of accounts (clearing, suspense) exists
    item = _item()
    returned = payouts.return_suspense(item, reason="не наш", actor=make_staff("cash_desk"))
    assert returned.status == "approval" and SimulatedBankTransfer.objects.count() == 0
    approvals.reject(returned.approval, checker=make_staff("accountant"), reason="ask the bank first")
    item.refresh_from_db()
    assert item.status == SuspenseItem.Status.OPEN


def test_the_approval_queue_page(lending_setup, sim, client):
    loan = cash_loan(lending_setup)
    cashier = make_staff("cash_desk")
    payouts.pay_cash(loan, cashier=cashier, doc_type="id_card", doc_number="043512789")
    sign_in_staff(client, cashier)
    assert client.get("/backoffice/payouts/approvals/").status_code == 403
    desk = client.get("/backoffice/cash-desk/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert 'id="cash-waiting"' in desk and loan.number in desk
    checker = make_staff("accountant")
    sign_in_staff(client, checker)
    home = client.get("/backoffice/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "/backoffice/payouts/approvals/" in home
    page = client.get("/backoffice/payouts/approvals/", HTTP_ACCEPT_LANGUAGE="ru")
    text = page.content.decode()
    assert page.status_code == 200 and loan.number in text and "Выдача наличными в кассе" in text
    shown = text.replace(cashier.get_username(), "")  # the maker's login may contain the role
    assert ">cash_desk" not in shown and "pending<" not in shown  # no raw code shown
    approval = PayoutApproval.objects.get()
    rejected = client.post(
        f"/backoffice/payouts/approvals/{approval.pk}/reject/", {"reason": ""}, follow=True
    )
    assert rejected.status_code == 200 and PayoutApproval.objects.get().status == "pending"
    done = client.post(f"/backoffice/payouts/approvals/{approval.pk}/approve/", follow=True)
    assert done.status_code == 200
    loan.refresh_from_db()
    assert loan.status == Loan.Status.ACTIVE
    assert client.post("/backoffice/payouts/approvals/999999/approve/").status_code == 404


def test_the_client_sees_the_payout_awaiting_approval(lending_setup, sim, client, low_threshold):
    loan = ready_loan(lending_setup)
    payouts.request_payout(loan)
    sign_in_client(client, loan.client)
    page = client.get(f"/servicing/loans/{loan.pk}/payout/", HTTP_ACCEPT_LANGUAGE="kk")
    assert page.status_code == 200 and 'data-state="approval"' in page.content.decode()


# --- concurrent approvals: one wins (real row locks need PostgreSQL) -------------------------------
THREADS = 8


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_concurrent_approvals_send_the_payout_once(lending_setup, sim, low_threshold):
    loan = ready_loan(lending_setup)
    payout = payouts.request_payout(loan)
    checkers = [make_staff("accountant") for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    won: list[int] = []
    refused: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        try:
            barrier.wait()
            approvals.approve(PayoutApproval.objects.get(payout_id=payout.pk), checker=checkers[n])
            with lock:
                won.append(n)
        except ServicingError as exc:
            with lock:
                refused.append(exc.message)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(attempt, range(THREADS)))
    assert not errors, errors[:3]
    assert len(won) == 1 and len(refused) == THREADS - 1
    assert SimulatedBankTransfer.objects.count() == 1
    sim.deliver_pending()
    payouts.reconcile(older_than_minutes=0)
    loan.refresh_from_db()
    assert loan.status == Loan.Status.ACTIVE
    assert len({t.entry for t in Transfer.objects.filter(loan=loan, kind="disbursement")}) == 1
    assert connection.vendor == "postgresql"
