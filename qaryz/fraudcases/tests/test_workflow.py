"""The fraud-victim workflow end to end on real loans: registration with vault documents and the
incident register, suspension through a close of business, resumption with and without
back-accrual, and the verdict's write-off, bureau correction and refund (Rules §13)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils.translation import gettext

from qaryz.access.testing import make_staff
from qaryz.fraudcases import services
from qaryz.fraudcases.models import FraudCase, Outcome
from qaryz.fraudcases.tests.helpers import (
    PDF,
    START,
    StubBureau,
    StubCollections,
    close_through,
    loan_with_account,
    officer,
    register,
)
from qaryz.incidents.models import Incident
from qaryz.messaging.models import Letter
from qaryz.records.models import StoredDocument
from qaryz.servicing import approvals, ledger_check, repayments
from qaryz.servicing.amounts import round_div
from qaryz.servicing.models import Instalment, Loan, RefundPayout, Transfer
from qaryz.servicing.tests.factories import active_loan

pytestmark = pytest.mark.django_db
ONE = dt.timedelta(days=1)


def at(day: dt.date):
    """Freeze "today" (Asia/Almaty) at noon of ``day``."""
    return time_machine.travel(dt.datetime.combine(day, dt.time(12), ZoneInfo("Asia/Almaty")), tick=False)


def suspended_case(loan: Loan, actor, *, on: dt.date):
    close_through(on - ONE)
    case = register(loan, actor, received_on=on - ONE, today=on)
    with at(on):
        case = services.suspend_case(case, actor=actor)
    return case


@pytest.mark.req("R-FRAUD-1", "R-FRAUD-2")
def test_registration_keeps_the_documents_in_the_vault_and_feeds_the_incident_register(lending_setup):
    loan = active_loan(lending_setup, START)
    actor = officer()
    case = register(
        loan,
        actor,
        documents=[services.Upload("postanovlenie.pdf", PDF, "application/pdf", "Постановление")],
        unauthorised_access=True,
    )
    assert case.number.startswith("FC-2026-") and case.status == FraudCase.Status.REGISTERED
    doc = case.documents.get()
    stored = StoredDocument.objects.get(pk=doc.document_id)
    assert (stored.owner_type, stored.owner_id) == ("clients.client", str(loan.client_id))
    assert stored.reference == case.reference and stored.kind == "fraud_case_document"
    assert hasattr(stored, "receipt")  # a client's document gets its signed receipt
    kinds = set(Incident.objects.filter(source=case.source).values_list("kind", flat=True))
    assert kinds == {"fraud", "unauthorised_access"}
    # A loan already in an open case cannot be named again; bad input is a message, not a 500.
    with pytest.raises(services.CaseError):
        register(loan, actor)
    with pytest.raises(services.CaseError):
        register(active_loan(lending_setup, START), actor, documents=[services.Upload("x.exe", b"MZ", "x")])


@pytest.mark.req("R-FRAUD-2")
def test_suspension_stops_the_close_of_business_notifies_the_client_and_records_the_bureau_skip(
    lending_setup, monkeypatch
):
    monkeypatch.setattr(services, "bureau", None)  # as before the bureau room is installed
    loan = active_loan(lending_setup, START)
    first = Instalment.objects.get(loan=loan, number=1)
    actor = officer()
    on = START + dt.timedelta(days=6)
    case = suspended_case(loan, actor, on=on)
    loan.refresh_from_db()
    assert loan.suspended_from == on and case.number in loan.suspension_reason
    accrued, transfers = loan.interest_accrued, Transfer.objects.filter(loan=loan).count()
    close_through(first.due_date + dt.timedelta(days=10))
    loan.refresh_from_db()
    first.refresh_from_db()
    assert Transfer.objects.filter(loan=loan).count() == transfers
    assert loan.interest_accrued == accrued and loan.penalty == 0 and not first.fell_due
    assert loan.closed_through == first.due_date + dt.timedelta(days=10)
    assert case.status == FraudCase.Status.SUSPENDED and case.suspended_on == on
    row = case.case_loans.get()
    assert row.bureau_suspension == Outcome.SKIPPED  # no bureau room here: said so, not pretended
    letter = Letter.objects.get(pk=case.notice_letter_id)
    assert letter.kind == "fraud_suspension" and letter.reference == case.reference
    assert StoredDocument.objects.filter(pk=letter.document_id, kind="letter.fraud_suspension").exists()
    assert loan.number in letter.body and "13" in letter.body
    assert services.suspend_case(case, actor=actor).notice_letter_id == letter.pk  # idempotent


@pytest.mark.req("R-FRAUD-2")
def test_the_suspension_is_reported_to_the_bureau_room_when_present(lending_setup, monkeypatch):
    stub = StubBureau()
    monkeypatch.setattr(services, "bureau", stub)
    loan = active_loan(lending_setup, START)
    case = suspended_case(loan, officer(), on=START + dt.timedelta(days=3))
    assert stub.calls == [("suspension", loan.pk, case.source)]
    assert case.case_loans.get().bureau_suspension == Outcome.DONE


@pytest.mark.req("R-FRAUD-2")
def test_the_real_bureau_room_records_the_suspension(lending_setup):
    """Runs once the bureau room (qaryz/bureau) is installed: its one-off suspension record."""
    from django.apps import apps

    if not apps.is_installed("qaryz.bureau"):
        pytest.skip("the bureau room is not installed on this branch")
    from qaryz.bureau.models import Record

    loan = active_loan(lending_setup, START)
    case = suspended_case(loan, officer(), on=START + dt.timedelta(days=3))
    assert case.case_loans.get().bureau_suspension == Outcome.DONE
    record = Record.objects.get(loan=loan, kind="suspension")
    assert (
        record.source_key == f"suspension:{loan.pk}:{case.source}" and record.reported_status == "suspended"
    )


def _resume(lending_setup, back_accrue: bool):
    loan = active_loan(lending_setup, START)
    first = Instalment.objects.get(loan=loan, number=1)
    actor = officer()
    suspended_on = START + dt.timedelta(days=6)
    case = suspended_case(loan, actor, on=suspended_on)
    resume_day = first.due_date + dt.timedelta(days=10)  # the first due date passed while suspended
    close_through(resume_day - ONE)
    loan.refresh_from_db()
    period = (loan.cur_due - loan.cur_start).days
    cur_interest = loan.cur_interest
    with at(resume_day):
        case = services.resume_case(
            case, cancelled_on=resume_day - ONE, back_accrue=back_accrue, actor=actor, reference="отмена 77"
        )
    loan.refresh_from_db()
    shift = (resume_day - suspended_on).days
    return loan, first, case, shift, round_div(cur_interest * shift, period)


@pytest.mark.req("R-FRAUD-3")
def test_resumption_without_back_accrual_moves_the_schedule_and_charges_nothing_for_the_gap(lending_setup):
    loan, first, case, shift, _extra = _resume(lending_setup, back_accrue=False)
    assert case.status == FraudCase.Status.RESUMED and case.back_accrue is False
    assert loan.suspended_from is None and loan.schedule_version == 2
    moved = Instalment.objects.get(loan=loan, version=2, number=1)
    assert moved.due_date == first.due_date + dt.timedelta(days=shift) and moved.interest == first.interest
    assert loan.cur_due == moved.due_date and not Transfer.objects.filter(key__startswith="susp:").exists()
    row = case.case_loans.get()
    assert row.shift_days == shift and row.back_accrued == 0
    close_through(moved.due_date)
    moved.refresh_from_db()
    loan.refresh_from_db()
    assert moved.fell_due
    total = sum(Transfer.objects.filter(loan=loan, kind="accrual").values_list("amount", flat=True))
    assert total == first.interest  # the suspended days bore no interest
    assert loan.interest_overdue == first.interest and loan.overdue_since == moved.due_date + ONE
    assert list(ledger_check.differences()) == []
    assert Letter.objects.filter(reference=case.reference, kind="fraud_resumption").exists()


@pytest.mark.req("R-FRAUD-3")
def test_resumption_with_back_accrual_charges_the_suspended_days(lending_setup):
    loan, first, case, shift, extra = _resume(lending_setup, back_accrue=True)
    assert extra > 0
    row = case.case_loans.get()
    assert row.back_accrued == extra and case.back_accrue is True
    moved = Instalment.objects.get(loan=loan, version=2, number=1)
    assert moved.interest == first.interest + extra
    close_through(moved.due_date)
    loan.refresh_from_db()
    total = sum(Transfer.objects.filter(loan=loan, kind="accrual").values_list("amount", flat=True))
    assert total == first.interest + extra
    assert loan.interest_overdue == first.interest + extra and loan.interest_accrued == 0
    assert list(ledger_check.differences()) == []
    again = services.resume_case(case, cancelled_on=case.cancelled_on, actor=officer())
    assert again.pk == case.pk and Transfer.objects.filter(key__startswith="susp:").count() == 1


@pytest.mark.req("R-FRAUD-4")
def test_verdict_proposes_the_write_off_corrects_the_bureau_and_refunds_everything_paid_once(
    lending_setup, sim, monkeypatch
):
    bureau, collections = StubBureau(), StubCollections()
    monkeypatch.setattr(services, "bureau", bureau)
    monkeypatch.setattr(services, "collections", collections)
    loan = loan_with_account(lending_setup)
    first = Instalment.objects.get(loan=loan, number=1)
    close_through(first.due_date)  # the first instalment falls due unpaid
    paid = first.total + 5_000_00
    repayments.post_payment(
        loan, channel="bank", payer_reference="st-1", amount_tiyn=paid, value_date=first.due_date + ONE
    )
    actor = officer()
    on = first.due_date + dt.timedelta(days=2)
    case = suspended_case(loan, actor, on=on)
    verdict_day = on + dt.timedelta(days=20)
    with at(verdict_day):
        case = services.record_verdict(
            case,
            verdict_on=verdict_day - ONE,
            court="Медеуский районный суд г. Алматы",
            reference="2-1234/2027",
            actor=actor,
        )
    assert case.verdict_due and case.verdict_days == 15
    row = case.case_loans.get()
    assert row.write_off == Outcome.DONE and row.bureau_correction == Outcome.DONE
    assert collections.calls[0][:3] == ("write_off", loan.pk, case.source)
    assert ("correction", loan.pk, case.source) == bureau.calls[-1][:3]
    assert row.refund_amount == paid and row.refund_error == gettext(
        "The refund waits for a second staff member's approval. Carry out the measures again once it is approved."
    )
    refund = RefundPayout.objects.get(loan=loan)
    # Maker–checker (issue 14): the refund waits for a second staff member before it is sent.
    assert (
        refund.amount == paid
        and refund.status == RefundPayout.Status.APPROVAL
        and refund.source == case.source
    )
    assert refund.approval.maker == actor and refund.approval.kind == "refund"
    # Not carried out while the money waits: the case stays open, its deadline watched.
    assert case.status == FraudCase.Status.VERDICT and case.verdict_done_on is None
    with at(verdict_day):
        assert sim.deliver_pending() == 0
        refund = approvals.approve(refund.approval, checker=make_staff("accountant"))
        assert refund.status == RefundPayout.Status.SENT
        sim.deliver_pending()
    refund.refresh_from_db()
    loan.refresh_from_db()
    assert refund.status == RefundPayout.Status.CONFIRMED and loan.refund_payable == 0 and loan.advance == 0
    assert Transfer.objects.filter(loan=loan, kind="refund_paid").count() == 1
    # Asked again once approved: the case closes; nothing more is sent or booked.
    with at(verdict_day):
        case = services.carry_out_verdict(case, actor=actor)
    assert case.status == FraudCase.Status.CLOSED and case.verdict_done_on == verdict_day
    assert case.case_loans.get().refund_error == ""
    services.carry_out_verdict(case, actor=actor)  # a second click, a retried job
    assert RefundPayout.objects.filter(loan=loan).count() == 1 and len(collections.calls) == 1
    assert list(ledger_check.differences()) == []
    call_command("check_ledger")  # exits non-zero on any difference


@pytest.mark.req("R-FRAUD-4")
def test_verdict_without_the_other_rooms_or_a_verified_account_says_what_is_pending(
    lending_setup, sim, monkeypatch
):
    monkeypatch.setattr(services, "bureau", None)  # as before those rooms are installed
    monkeypatch.setattr(services, "collections", None)
    loan = active_loan(lending_setup, START)  # the client has no registered account
    repayments.post_payment(
        loan, channel="bank", payer_reference="st-2", amount_tiyn=7_000_00, value_date=START
    )
    actor = officer()
    case = suspended_case(loan, actor, on=START + dt.timedelta(days=2))
    with at(START + dt.timedelta(days=5)):
        case = services.record_verdict(
            case, verdict_on=START + dt.timedelta(days=4), court="Суд", reference="2-1", actor=actor
        )
    row = case.case_loans.get()
    assert row.write_off == Outcome.SKIPPED and row.bureau_correction == Outcome.SKIPPED
    assert row.refund_amount == 7_000_00 and row.refund_error
    assert case.status == FraudCase.Status.VERDICT and case.verdict_done_on is None
    loan.refresh_from_db()
    assert loan.refund_payable == 7_000_00 and not RefundPayout.objects.exists()
    from qaryz.clients.models import BankAccount
    from qaryz.fraudcases.tests.helpers import IBAN

    BankAccount.objects.create(client=loan.client, kind="iban", value=IBAN)
    case = services.carry_out_verdict(case, actor=actor)
    refund = RefundPayout.objects.get(loan=loan)
    assert refund.amount == 7_000_00 and case.status == FraudCase.Status.VERDICT  # awaits approval
    approvals.approve(refund.approval, checker=make_staff("accountant"))
    case = services.carry_out_verdict(case, actor=actor)
    assert case.status == FraudCase.Status.CLOSED and RefundPayout.objects.count() == 1


@pytest.mark.req("R-FRAUD-2")
def test_no_early_repayment_or_restructuring_of_a_suspended_loan(lending_setup):
    """They would charge interest for the suspended days."""
    from qaryz.servicing import restructuring
    from qaryz.servicing.services import ServicingError

    loan = active_loan(lending_setup, START)
    on = START + dt.timedelta(days=4)
    suspended_case(loan, officer(), on=on)
    close_through(on + dt.timedelta(days=40))
    loan.refresh_from_db()
    today = loan.closed_through + ONE
    with pytest.raises(ServicingError, match="мошенничеств"):
        repayments.repay_early(loan, mode="full", on=today)
    with pytest.raises(ServicingError, match="мошенничеств"):
        restructuring.check_restructurable(loan, today)


@pytest.mark.req("R-FRAUD-4")
def test_a_verdict_before_the_suspension_step_suspends_the_loan_too(lending_setup, sim, monkeypatch):
    monkeypatch.setattr(services, "bureau", StubBureau())
    monkeypatch.setattr(services, "collections", StubCollections())
    loan = active_loan(lending_setup, START)
    actor = officer()
    close_through(START + dt.timedelta(days=2))
    case = register(loan, actor, received_on=START + ONE, today=START + dt.timedelta(days=3))
    with at(START + dt.timedelta(days=3)):
        case = services.record_verdict(
            case, verdict_on=START + dt.timedelta(days=2), court="Суд", reference="1-9", actor=actor
        )
    loan.refresh_from_db()
    assert loan.suspended_from == START + dt.timedelta(days=3)
    assert case.case_loans.get().suspended_from == loan.suspended_from
    assert case.status == FraudCase.Status.CLOSED  # nothing was paid: nothing to refund
    assert case.case_loans.get().write_off == Outcome.DONE


def test_the_nightly_command_flags_overdue_steps(lending_setup):
    loan = active_loan(lending_setup, START)
    register(loan, officer(), received_on=START, today=START)
    out = __import__("io").StringIO()
    call_command("check_fraud_deadlines", "--date", (START + dt.timedelta(days=30)).isoformat(), stdout=out)
    assert "suspension overdue: 1" in out.getvalue()
    assert FraudCase.objects.get().overdue_flagged_at is not None


def test_a_refusal_of_the_bureau_room_is_a_message_and_nothing_is_half_done(lending_setup, monkeypatch):
    class Refusing(StubBureau):
        def report_suspension(self, loan, *, actor, source=""):
            raise ValueError("bureau down")

    monkeypatch.setattr(services, "bureau", Refusing())
    loan = active_loan(lending_setup, START)
    actor = officer()
    close_through(START + dt.timedelta(days=2))
    case = register(loan, actor, received_on=START + ONE, today=START + dt.timedelta(days=3))
    with at(START + dt.timedelta(days=3)), pytest.raises(services.CaseError):
        services.suspend_case(case, actor=actor)
    loan.refresh_from_db()
    case.refresh_from_db()
    assert loan.suspended_from is None and case.status == FraudCase.Status.REGISTERED
    assert not Letter.objects.filter(reference=case.reference).exists()


@pytest.mark.req("R-FRAUD-2", "R-FRAUD-4")
def test_with_the_real_bureau_and_collections_rooms(lending_setup, sim):
    """Runs once the bureau and collections rooms are installed (the lead merges them)."""
    from django.apps import apps

    if not (apps.is_installed("qaryz.bureau") and apps.is_installed("qaryz.collections")):
        pytest.skip("the bureau and collections rooms are not installed on this branch")
    from qaryz.bureau.models import Record
    from qaryz.collections.models import WriteOffDecision

    loan = loan_with_account(lending_setup)
    actor = officer()
    case = suspended_case(loan, actor, on=START + dt.timedelta(days=3))
    with at(START + dt.timedelta(days=6)):
        case = services.record_verdict(
            case, verdict_on=START + dt.timedelta(days=5), court="Суд", reference="2-7", actor=actor
        )
    row = case.case_loans.get()
    assert (row.bureau_suspension, row.write_off, row.bureau_correction) == (Outcome.DONE,) * 3
    decision = WriteOffDecision.objects.get(loan=loan)
    assert decision.source == case.source and decision.pk == int(row.write_off_reference)
    kinds = set(Record.objects.filter(loan=loan).values_list("kind", flat=True))
    assert {"suspension", "correction"} <= kinds
