"""PostgreSQL: 20 threads posting the same payer reference at once post exactly one payment."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from qaryz.servicing import ledger, repayments
from qaryz.servicing.models import Loan, Payment, Transfer
from qaryz.servicing.tests.factories import active_loan


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_duplicates_post_one_payment(lending_setup):
    if connection.vendor != "postgresql":
        pytest.skip("real row-level concurrency needs PostgreSQL")
    loan = active_loan(lending_setup, dt.date(2026, 12, 10))
    barrier = threading.Barrier(20)
    results, errors = [], []

    def post(n: int) -> None:
        try:
            barrier.wait()
            target = Loan.objects.get(pk=loan.pk)
            payment = repayments.post_payment(
                target,
                channel="card",
                payer_reference="ACQ-SAME",
                amount_tiyn=1000_00 + n,  # a replay may differ: the first posted one stands
                value_date=dt.date(2026, 12, 12),
            )
            results.append(payment.pk)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(results)) == 1 and len(results) == 20
    payment = Payment.objects.get(channel="card", payer_reference="ACQ-SAME")
    assert Transfer.objects.filter(kind="repayment", loan=loan).count() == 1
    loan.refresh_from_db()
    assert loan.advance == payment.amount
    assert ledger.balances_from_transfers(loan.pk)["advance"] == payment.amount
