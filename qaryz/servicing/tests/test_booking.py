"""A signed contract becomes a loan; the bank's confirmation re-bases the schedule and posts the
disbursement (R-DISB-1); the ledger is append-only and balanced by construction."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from qaryz.servicing import ledger
from qaryz.servicing.models import Instalment, Loan, Transfer
from qaryz.servicing.tests.factories import active_loan, signed_loan

pytestmark = pytest.mark.django_db


def test_signing_books_a_loan_awaiting_disbursement(lending_setup):
    loan = signed_loan(lending_setup)
    assert loan.status == Loan.Status.AWAITING
    assert loan.principal == 300000_00
    assert len(loan.payment_reference) == 11
    assert loan.penalty_ppm_high == 5000 and loan.penalty_ppm_after == 300
    assert loan.penalty_year_cap == 30000_00  # 10 % of the loan a year (demo rule set)
    assert not Instalment.objects.filter(loan=loan).exists()


@pytest.mark.req("R-DISB-1")
def test_activation_rebases_the_schedule_and_posts_the_disbursement(lending_setup):
    day = dt.date(2026, 12, 10)
    loan = active_loan(lending_setup, day)
    rows = list(Instalment.objects.filter(loan=loan).order_by("number"))
    assert len(rows) == 12
    assert rows[0].period_start == day and rows[0].due_date == dt.date(2027, 1, 10)
    assert sum(r.principal for r in rows) == loan.principal
    assert loan.status == Loan.Status.ACTIVE and loan.application.status == "disbursed"
    assert loan.principal_current == loan.principal
    assert ledger.balances_from_transfers(loan.pk)["principal_current"] == loan.principal
    assert loan.cur_due == rows[0].due_date and loan.cur_interest == rows[0].interest


def test_transfers_are_append_only_and_balanced(lending_setup):
    loan = active_loan(lending_setup, dt.date(2026, 12, 10))
    transfer = Transfer.objects.filter(loan=loan).first()
    with pytest.raises(DatabaseError), transaction.atomic():
        Transfer.objects.filter(pk=transfer.pk).update(amount=1)
    with pytest.raises(DatabaseError), transaction.atomic():
        Transfer.objects.filter(pk=transfer.pk).delete()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO servicing_transfer (key, kind, entry, loan_id, debit_id, credit_id, amount,"
            " value_date, booking_date) VALUES ('x', 'test', '', %s, %s, %s, 5, '2026-12-10', '2026-12-10')",
            [loan.pk, transfer.debit_id, transfer.debit_id],
        )
