"""Payments posted together (``post_payments``: a bank statement, a batch of webhooks) end exactly
as the same payments posted one by one: allocation, ledger, balances, instalments, receipts, audit;
duplicates and refusals are per payment and never stop the rest of the batch."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command

from qaryz.records.models import AuditEvent, StoredDocument
from qaryz.records.selectors import verify_trail
from qaryz.servicing import repayments
from qaryz.servicing.models import Instalment, Loan, Payment
from qaryz.servicing.repayments import Incoming
from qaryz.servicing.tests.cob_stub import close_through
from qaryz.servicing.tests.factories import active_loan

pytestmark = pytest.mark.django_db

START = dt.date(2026, 12, 10)
PAID_ON = dt.date(2027, 1, 14)


def _state(loan: Loan) -> tuple:
    loan.refresh_from_db()
    rows = Instalment.objects.filter(loan=loan).order_by("version", "number")
    return (
        loan.principal_current,
        loan.principal_overdue,
        loan.interest_overdue,
        loan.advance,
        loan.overdue_since,
        loan.days_past_due,
        loan.status,
        [(r.principal_paid, r.interest_paid, r.fee_paid, r.paid_on) for r in rows],
        [p.allocation for p in Payment.objects.filter(loan=loan).order_by("id")],
    )


def _overdue(lending_setup) -> Loan:
    return close_through(active_loan(lending_setup, START), PAID_ON - dt.timedelta(days=1))


@pytest.mark.req("R-CAB-5")
def test_a_batch_ends_as_the_same_payments_posted_one_by_one(lending_setup):
    one_by_one, together, other = (_overdue(lending_setup) for _ in range(3))
    row = Instalment.objects.get(loan=one_by_one, version=1, number=1)
    amounts = [row.principal // 2, row.principal, row.interest + 5_000_00]  # the last leaves an advance
    for n, amount in enumerate(amounts):
        repayments.post_payment(
            one_by_one, channel="bank", payer_reference=f"S-{n}", amount_tiyn=amount, value_date=PAID_ON
        )
    repayments.post_payment(
        other, channel="card", payer_reference="EARLIER", amount_tiyn=100_00, value_date=PAID_ON
    )
    events_before = AuditEvent.objects.count()
    items = [Incoming(together.pk, "bank", f"T-{n}", amount, PAID_ON) for n, amount in enumerate(amounts)]
    items += [
        Incoming(together.pk, "bank", "T-0", 1, PAID_ON),  # a duplicate inside the batch
        Incoming(other.pk, "card", "EARLIER", 100_00, PAID_ON),  # posted before
        Incoming(other.pk, "bank", "", 100_00, PAID_ON),  # no payer reference: refused
        Incoming(987654, "bank", "NO-LOAN", 100_00, PAID_ON),  # no such loan: refused
        Incoming(other.pk, "bank", "OTHER-1", 200_00, PAID_ON),
    ]
    results = repayments.post_payments(items, actor="api:bank-statement")
    assert [r.duplicate for r in results] == [False, False, False, True, True, False, False, False]
    assert [bool(r.error) for r in results] == [False, False, False, False, False, True, True, False]
    assert results[3].payment == results[0].payment and results[4].payment.payer_reference == "EARLIER"
    assert _state(together)[:-1] == _state(one_by_one)[:-1]
    assert _state(together)[-1] == _state(one_by_one)[-1]
    # One receipt per payment posted, one audit event per payment naming its receipt and the
    # receipt's hash, the chain intact.
    posted = [r.payment for r in results[:3]] + [results[7].payment]
    receipts = StoredDocument.objects.filter(pk__in=[p.receipt_document_id for p in posted])
    assert receipts.count() == 4
    new_events = AuditEvent.objects.order_by("seq")[events_before:]
    assert [e.action for e in new_events] == ["servicing.payment_posted"] * 4
    named = {
        json.loads(e.data)["receipt"]["document"]: json.loads(e.data)["receipt"]["sha256"] for e in new_events
    }
    assert named == {str(d.pk): d.sha256 for d in receipts}
    assert verify_trail().first_break is None
    call_command("check_ledger")


def test_paying_everything_overdue_in_a_batch_ends_the_delay(lending_setup):
    loan = _overdue(lending_setup)
    overdue = sum(repayments.owed(loan).values())
    results = repayments.post_payments(
        [Incoming(loan.pk, "bank", "ALL-1", overdue, PAID_ON)], actor="api:bank-statement"
    )
    assert results[0].payment.allocation["advance"] == 0
    loan.refresh_from_db()
    assert loan.status == Loan.Status.ACTIVE  # the principal not yet due is still owed
    assert loan.overdue_since is None and loan.days_past_due == 0
    assert Instalment.objects.get(loan=loan, version=1, number=1).paid_on == PAID_ON
