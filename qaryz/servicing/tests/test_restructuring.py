"""Restructuring after the first instalment: new term, lower instalment, payment holiday, built
from the actual balance, signed like the contract (R-SIGN-1), a new schedule version on signature."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone, translation

from qaryz.lending.errors import FlowError
from qaryz.lending.selectors import document_pdf
from qaryz.lending.tests.test_signing import passed_biometrics
from qaryz.records.models import StoredDocument
from qaryz.servicing import ledger, repayments, restructuring
from qaryz.servicing.models import Instalment, Loan, Restructuring
from qaryz.servicing.services import ServicingError
from qaryz.servicing.tests.cob_stub import close_through
from qaryz.servicing.tests.factories import active_loan

pytestmark = pytest.mark.django_db

START = dt.date(2026, 12, 10)
FIRST_DUE = dt.date(2027, 1, 10)
ON = FIRST_DUE + dt.timedelta(days=5)


def _at(day: dt.date):
    return time_machine.travel(dt.datetime.combine(day, dt.time(12), tzinfo=timezone.get_current_timezone()))


@pytest.fixture
def late_loan(lending_setup):
    """First instalment overdue; the overdue interest paid, the overdue principal not."""
    loan = active_loan(lending_setup, START)
    Loan.objects.filter(pk=loan.pk).update(
        allocation_order=[
            "overdue_interest",
            "overdue_principal",
            "penalty",
            "current_interest",
            "current_principal",
        ]
    )
    loan = close_through(loan, ON - dt.timedelta(days=1))
    repayments.post_payment(
        loan, channel="bank", payer_reference="INT-1", amount_tiyn=loan.interest_overdue, value_date=ON
    )
    loan.refresh_from_db()
    assert loan.interest_overdue == 0 and loan.principal_overdue > 0
    return loan


def test_before_the_first_instalment_the_amendment_path_applies(lending_setup):
    loan = close_through(active_loan(lending_setup, START), START + dt.timedelta(days=9))
    with pytest.raises(ServicingError) as exc:
        restructuring.propose_restructuring(
            loan, kind="new_term", term_months=18, on=START + dt.timedelta(days=10)
        )
    assert exc.value.message == translation.gettext(
        "Before the first instalment the contract is changed by an amendment."
    )


def test_overdue_interest_must_be_paid_first(lending_setup):
    loan = close_through(active_loan(lending_setup, START), ON - dt.timedelta(days=1))
    with pytest.raises(ServicingError):
        restructuring.propose_restructuring(loan, kind="new_term", term_months=18, on=ON)


@pytest.mark.req("R-SIGN-1")
def test_new_term_signed_like_the_contract_takes_effect(late_loan):
    loan = late_loan
    principal = loan.principal_current + loan.principal_overdue
    with _at(ON):
        draft = restructuring.propose_restructuring(loan, kind="new_term", term_months=18, on=ON)
        assert draft.status == "draft" and document_pdf(draft).startswith(b"%PDF")
        assert StoredDocument.objects.filter(pk=draft.vault_document_id).exists()
        rows = draft.schedule
        assert len(rows) == 18 and sum(r["principal"] for r in rows) == principal
        assert rows[0]["due_date"] == "2027-02-10" and rows[0]["period_start"] == ON.isoformat()
        loan.refresh_from_db()
        assert loan.schedule_version == 1  # nothing changes before the signature
        assert restructuring.start_restructuring_signing(draft) == ""  # an IE's business loan: no EDS
        with pytest.raises(FlowError):  # no fresh biometrics yet
            restructuring.complete_restructuring_signing(draft)
        passed_biometrics(loan.client)
        restructuring.complete_restructuring_signing(draft)
    draft.refresh_from_db()
    assert draft.status == "signed" and draft.signature_evidence["biometric_verification"]
    loan.refresh_from_db()
    assert loan.schedule_version == 2 and loan.principal_overdue == 0 and loan.principal_current == principal
    assert loan.overdue_since is None and loan.days_past_due == 0
    new = list(Instalment.objects.filter(loan=loan, version=2).order_by("number"))
    assert len(new) == 18 and new[0].number == 2
    assert loan.cur_start == ON and loan.cur_due == dt.date(2027, 2, 10)
    carried = rows[0]["carried_interest"]
    assert loan.interest_accrued == carried and loan.cur_interest == new[0].interest - carried
    for kind, value in ledger.balances_from_transfers(loan.pk).items():
        assert getattr(loan, kind) == value, kind
    # The close of business carries on: at the new due date the whole first row is owed.
    loan = close_through(loan, dt.date(2027, 2, 10))
    assert loan.interest_overdue == new[0].interest and loan.principal_overdue == new[0].principal


def test_lower_instalment_and_holiday(late_loan):
    loan = late_loan
    old = Instalment.objects.get(loan=loan, version=1, number=2)
    with _at(ON):
        lower = restructuring.propose_restructuring(
            loan, kind="lower_instalment", max_instalment=(old.principal + old.interest) * 2 // 3, on=ON
        )
        body = lower.schedule[1:-1]
        assert all(r["principal"] + r["interest"] <= (old.principal + old.interest) * 2 // 3 for r in body)
        assert lower.term_months > 11
        with pytest.raises(ServicingError):  # one draft at a time
            restructuring.propose_restructuring(loan, kind="holiday", holiday_months=3, on=ON)
        restructuring.withdraw_restructuring(lower)
        holiday = restructuring.propose_restructuring(loan, kind="holiday", holiday_months=3, on=ON)
    rows = holiday.schedule
    assert [r["principal"] for r in rows[:3]] == [0, 0, 0] and all(r["interest"] > 0 for r in rows[:3])
    assert len(rows) == 3 + 11 and rows[3]["principal"] > 0
    assert sum(r["principal"] for r in rows) == holiday.principal
    with pytest.raises(ServicingError):
        restructuring.build_rows(loan, ON, kind="holiday", holiday_months=12)


def test_out_of_date_agreement_is_refused(late_loan):
    loan = late_loan
    with _at(ON):
        draft = restructuring.propose_restructuring(loan, kind="new_term", term_months=6, on=ON)
    with _at(ON + dt.timedelta(days=1)):
        passed_biometrics(loan.client)
        with pytest.raises(FlowError):
            restructuring.complete_restructuring_signing(draft)
    assert Restructuring.objects.get(pk=draft.pk).status == "draft"
