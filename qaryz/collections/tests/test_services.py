"""Changed-terms requests after a delay notice (Law on microfinance Art. 9-2, DOMAIN.md), collection
actions blocked while a loan is suspended (R-FRAUD-2) and outside permitted hours, write-off by
decision with maker–checker (R-FRAUD-4, R-ACC-1) keeping the ledger balanced, and the closing letter
that starts with the retention clock (R-ARCH-1)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core.management import call_command

from qaryz.access.testing import make_staff
from qaryz.collections import services
from qaryz.collections.models import ChangedTermsRequest, CollectionAction, CollectionPolicy, WriteOffDecision
from qaryz.collections.tests.helpers import at, loan_in_delay
from qaryz.messaging.models import Letter, SmsDelivery
from qaryz.records.models import StoredDocument
from qaryz.servicing import close_of_day, ledger
from qaryz.servicing.models import Loan, Transfer

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2027, 1, 11)


def sent_notice(product, *, sent: dt.datetime | None = None):
    loan, notice = loan_in_delay(product)
    with time_machine.travel(sent or at(notice.overdue_since + dt.timedelta(days=3), 10), tick=False):
        services.send_queued_delay_notices()
    notice.refresh_from_db()
    return loan, notice


@pytest.fixture(autouse=True)
def _english():
    """Refusal messages are matched in English (the clients' letters keep their own language)."""
    from django.utils import translation

    with translation.override("en"):
        yield


# --- changed terms --------------------------------------------------------------------------------


def test_changed_terms_within_30_days_is_accepted_with_the_answer_deadline(lending_setup):
    loan, notice = sent_notice(lending_setup)
    sent_on = notice.sent_at.astimezone(at(MONDAY, 0).tzinfo).date()
    request = services.request_changed_terms(
        loan, wish="new_term", explanation="Lost my job", on=sent_on + dt.timedelta(days=30)
    )
    assert request.status == ChangedTermsRequest.Status.OPEN and request.notice == notice
    assert request.answer_due == sent_on + dt.timedelta(days=30 + 15)  # default answer deadline
    with pytest.raises(services.CollectionsError, match="already asked"):
        services.request_changed_terms(loan, wish="holiday", on=sent_on + dt.timedelta(days=30))


def test_changed_terms_after_the_window_is_refused_with_a_clear_message(lending_setup):
    loan, notice = sent_notice(lending_setup)
    sent_on = notice.sent_at.astimezone(at(MONDAY, 0).tzinfo).date()
    with pytest.raises(services.CollectionsError) as refused:
        services.request_changed_terms(loan, wish="new_term", on=sent_on + dt.timedelta(days=31))
    message = refused.value.message
    assert "has passed" in message and (sent_on + dt.timedelta(days=30)).strftime("%d.%m.%Y") in message
    assert not ChangedTermsRequest.objects.exists()


def test_the_answer_deadline_is_configuration_with_effective_dates(lending_setup):
    loan, notice = sent_notice(lending_setup)
    sent_on = notice.sent_at.astimezone(at(MONDAY, 0).tzinfo).date()
    CollectionPolicy.objects.create(effective_from=sent_on + dt.timedelta(days=2), answer_deadline_days=5)
    request = services.request_changed_terms(loan, wish="holiday", on=sent_on + dt.timedelta(days=2))
    assert request.answer_due == sent_on + dt.timedelta(days=7)


def test_no_delay_notice_no_request(lending_setup):
    from qaryz.servicing.tests.factories import active_loan

    loan = active_loan(lending_setup, dt.date(2026, 12, 10))
    with pytest.raises(services.CollectionsError, match="no delay"):
        services.request_changed_terms(loan, wish="new_term")


def test_refusal_sends_a_letter_with_the_reason(lending_setup):
    loan, _notice = sent_notice(lending_setup)
    request = services.request_changed_terms(
        loan, wish="new_term", on=_notice.overdue_since + dt.timedelta(days=5)
    )
    officer = make_staff("collections_officer")
    with pytest.raises(services.CollectionsError):
        services.refuse_changed_terms(request, staff=officer, reason="  ")
    services.refuse_changed_terms(request, staff=officer, reason="Income not confirmed")
    request.refresh_from_db()
    assert (
        request.status == ChangedTermsRequest.Status.REFUSED
        and request.letter.kind == "changed_terms_refused"
    )
    assert "Income not confirmed" in request.letter.body
    with pytest.raises(services.CollectionsError, match="already been answered"):
        services.refuse_changed_terms(request, staff=officer, reason="again")


def test_approval_needs_restructurable_loan_and_leads_to_a_restructuring(lending_setup):
    """Approve → a restructuring draft (servicing.restructuring); while overdue interest is unpaid
    servicing refuses it and the request stays open with servicing's message."""
    from qaryz.servicing.repayments import post_payment

    loan, notice = sent_notice(lending_setup)
    day = loan.closed_through
    request = services.request_changed_terms(loan, wish="new_term", on=day)
    officer = make_staff("collections_officer")
    with time_machine.travel(at(day, 12), tick=False):
        with pytest.raises(services.CollectionsError, match="overdue interest"):
            services.approve_changed_terms(request, staff=officer, kind="new_term", term_months=18)
        request.refresh_from_db()
        assert request.status == ChangedTermsRequest.Status.OPEN
        owed = loan.principal_overdue + loan.interest_overdue + loan.fee_overdue + loan.penalty
        post_payment(loan, channel="bank", payer_reference="ct-1", amount_tiyn=owed, value_date=day)
        services.approve_changed_terms(request, staff=officer, kind="new_term", term_months=18)
    request.refresh_from_db()
    assert request.status == ChangedTermsRequest.Status.APPROVED
    assert request.restructuring is not None and request.restructuring.status == "draft"
    assert (
        request.letter.kind == "changed_terms_approved"
        and request.restructuring.number in request.letter.body
    )


# --- collection actions ----------------------------------------------------------------------------


def test_collection_action_is_refused_for_a_suspended_loan(lending_setup):
    loan, _notice = loan_in_delay(lending_setup)
    Loan.objects.filter(pk=loan.pk).update(
        suspended_from=loan.closed_through, suspension_reason="Fraud case 3"
    )
    loan.refresh_from_db()
    officer = make_staff("collections_officer")
    for kind, outcome in (("reminder", ""), ("call", "no_answer")):
        with pytest.raises(services.CollectionsError, match="suspended") as refused:
            services.log_action(loan, staff=officer, kind=kind, outcome=outcome, now=at(MONDAY, 11))
        assert "Fraud case 3" in refused.value.message
    assert not CollectionAction.objects.exists()
    assert not SmsDelivery.objects.filter(purpose="collection_reminder").exists()


def test_reminder_and_call_within_hours_and_refused_outside(lending_setup):
    loan, _notice = loan_in_delay(lending_setup, language="kk")
    officer = make_staff("collections_officer")
    with pytest.raises(services.CollectionsError, match="09:00 to 20:00"):
        services.log_action(loan, staff=officer, kind="reminder", now=at(MONDAY, 20, 0))
    reminder = services.log_action(loan, staff=officer, kind="reminder", now=at(MONDAY, 10))
    assert reminder.outcome == CollectionAction.Outcome.SENT
    sms = SmsDelivery.objects.get(purpose="collection_reminder")
    assert loan.payment_reference in sms.text_masked and "Reminder" not in sms.text_masked  # Kazakh
    with pytest.raises(services.CollectionsError, match="outcome"):
        services.log_action(loan, staff=officer, kind="call", outcome="", now=at(MONDAY, 10))
    call = services.log_action(
        loan,
        staff=officer,
        kind="call",
        outcome="promise",
        note="Will pay Friday",
        promised_on=MONDAY + dt.timedelta(days=4),
        now=at(MONDAY, 10, 30),
    )
    assert call.promised_on == MONDAY + dt.timedelta(days=4)
    assert [a.kind for a in CollectionAction.objects.filter(loan=loan)] == ["call", "reminder"]


# --- write-off ---------------------------------------------------------------------------------------


@pytest.mark.req("R-FRAUD-4", "R-ACC-1", "R-ARCH-1")
def test_write_off_maker_checker_moves_every_receivable_and_keeps_the_ledger_balanced(lending_setup):
    loan, _notice = loan_in_delay(lending_setup, days_late=5)
    assert loan.principal_overdue and loan.principal_current and loan.penalty and loan.interest_accrued
    maker = make_staff("collections_officer")
    approver = make_staff("write_off_approver")
    with pytest.raises(services.CollectionsError, match="reason"):
        services.propose_write_off(loan, reason=" ", maker=maker)
    decision = services.propose_write_off(loan, reason="Court verdict", maker=maker, source="fraud_case:9")
    total = sum(services.receivables(loan).values())
    assert decision.total == total and decision.source == "fraud_case:9"
    with pytest.raises(services.CollectionsError, match="already awaiting"):
        services.propose_write_off(loan, reason="again", maker=maker)

    # The same person may not approve, even with the approver's permission.
    from django.contrib.auth.models import Group

    maker.groups.add(Group.objects.get(name="write_off_approver"))
    maker = type(maker).objects.get(pk=maker.pk)  # fresh permission cache
    with pytest.raises(services.CollectionsError, match="someone other"):
        services.approve_write_off(decision, checker=maker)
    with pytest.raises(services.CollectionsError, match="may not approve"):
        services.approve_write_off(decision, checker=make_staff("collections_officer"))
    decision.refresh_from_db()
    assert decision.status == WriteOffDecision.Status.PROPOSED

    services.approve_write_off(decision, checker=approver)
    loan.refresh_from_db()
    decision.refresh_from_db()
    assert loan.status == Loan.Status.WRITTEN_OFF and loan.closed_on is not None
    assert sum(services.receivables(loan).values()) == 0
    assert decision.status == WriteOffDecision.Status.APPROVED and decision.checker == approver
    written = Transfer.objects.filter(loan=loan, kind="write_off")
    assert sum(written.values_list("amount", flat=True)) == total
    assert ledger.balances_from_transfers(loan.pk) == {k: getattr(loan, k) for k in ledger.LOAN_BALANCES}
    call_command("check_ledger", stdout=io.StringIO())  # exits 1 on any difference
    contract_doc = StoredDocument.objects.get(pk=loan.contract.vault_document_id)
    assert contract_doc.obligations_end == loan.closed_on  # the retention clock started
    assert decision.letter.kind == "write_off" and loan.number in decision.letter.body
    with pytest.raises(services.CollectionsError, match="already been decided"):
        services.approve_write_off(decision, checker=approver)
    # Nothing more accrues: the close of business leaves a written-off loan alone.
    before = Transfer.objects.filter(loan=loan).count()
    close_of_day.run(loan.closed_through + dt.timedelta(days=3), booking_date=loan.closed_through)
    assert Transfer.objects.filter(loan=loan).count() == before


def test_write_off_four_eyes_is_also_a_database_constraint(lending_setup):
    from django.db import IntegrityError, transaction

    loan, _notice = loan_in_delay(lending_setup)
    maker = make_staff("collections_officer")
    decision = services.propose_write_off(loan, reason="x", maker=maker)
    with pytest.raises(IntegrityError), transaction.atomic():
        WriteOffDecision.objects.filter(pk=decision.pk).update(checker=maker)


def test_rejected_write_off_moves_nothing(lending_setup):
    loan, _notice = loan_in_delay(lending_setup)
    decision = services.propose_write_off(loan, reason="x", maker=make_staff("collections_officer"))
    services.reject_write_off(decision, checker=make_staff("write_off_approver"), reason="Collect first")
    decision.refresh_from_db()
    loan.refresh_from_db()
    assert decision.status == WriteOffDecision.Status.REJECTED and loan.status == Loan.Status.ACTIVE
    assert not Transfer.objects.filter(loan=loan, kind="write_off").exists()
    services.propose_write_off(loan, reason="again", maker=make_staff("collections_officer"))  # allowed again


# --- closure --------------------------------------------------------------------------------------------


@pytest.mark.req("R-ARCH-1")
def test_a_loan_closed_by_the_close_of_business_gets_a_closing_letter_once(lending_setup):
    from qaryz.servicing.tests.factories import active_loan

    loan = active_loan(lending_setup, dt.date(2026, 12, 10))
    day = dt.date(2026, 12, 20)
    Loan.objects.filter(pk=loan.pk).update(status=Loan.Status.CLOSED, closed_on=day)
    close_of_day.finish_day(day)
    close_of_day.finish_day(day)  # a rerun sends nothing again
    letters = Letter.objects.filter(kind="loan_closed", reference=f"servicing.loan:{loan.pk}")
    assert letters.count() == 1 and "20.12.2026" in letters.get().body
