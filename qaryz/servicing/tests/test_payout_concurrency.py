"""100 concurrent duplicate payout requests for one loan: one payout, one bank transfer, one
disbursement entry (R-DISB-1). Real row locks need PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from qaryz.servicing import payouts
from qaryz.servicing.models import Loan, Payout, SimulatedBankTransfer, Transfer
from qaryz.servicing.tests.payout_helpers import ready_loan, sim_fixture  # noqa: F401

REQUESTS = 100
# PostgreSQL here allows 100 connections shared by everyone: 100 requests over 40 connections at once.
THREADS = 40


@pytest.mark.req("R-DISB-1")
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_concurrent_duplicate_requests_pay_out_once(lending_setup, sim):
    loan = ready_loan(lending_setup)
    barrier = threading.Barrier(THREADS)
    results: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        try:
            if n < THREADS:
                barrier.wait()
            payout = payouts.request_payout(Loan.objects.get(pk=loan.pk), key=f"dup-{n % 3}")
            with lock:
                results.append(payout.pk)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(attempt, range(REQUESTS)))
    assert not errors, errors[:3]
    assert len(results) == REQUESTS and len(set(results)) == 1
    assert Payout.objects.filter(loan=loan).count() == 1
    assert SimulatedBankTransfer.objects.count() == 1
    # The bank's webhook delivered twice (a retry) and reconcile run: still one disbursement.
    sim.deliver_pending()
    SimulatedBankTransfer.objects.update(webhook_delivered_at=None)
    sim.deliver_pending()
    payouts.reconcile(older_than_minutes=0)
    loan.refresh_from_db()
    assert loan.status == Loan.Status.ACTIVE
    assert Transfer.objects.filter(loan=loan, kind="disbursement").count() == 2  # one entry, two legs
    assert len({t.entry for t in Transfer.objects.filter(loan=loan, kind="disbursement")}) == 1
    assert connection.vendor == "postgresql"
