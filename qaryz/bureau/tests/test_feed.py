"""The daily credit-bureau feed (issue 12 item 2, Rules §13, R-CB-1): one set-based snapshot per
date, sent in batches through the bureau port; idempotent per date, resumable; suspended loans
without debt; corrections replace the bureau's state; rejections kept with their reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from qaryz.bureau import services
from qaryz.bureau.adapters.embedded import EmbeddedCreditBureau
from qaryz.bureau.models import Batch, FeedDay, Record, SimBatch, SimLoanState, SimRecord
from qaryz.bureau.ports import BureauError, FeedBatch, FeedItem
from qaryz.bureau.tests.helpers import current_loan, overdue_loan, reporter
from qaryz.records.models import AuditEvent
from qaryz.servicing.models import Loan
from qaryz.servicing.tests.cob_stub import close_through

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    """Messages are matched in English here (the page tests check ru and kk)."""
    with translation.override("en"):
        yield


def daily(day: dt.date) -> dict[int, Record]:
    return {r.loan_id: r for r in Record.objects.filter(kind="daily", feed_date=day)}


@pytest.mark.req("R-CB-1")
def test_feed_is_one_insert_select_and_idempotent_per_date(lending_setup):
    late, day = overdue_loan(lending_setup)
    fine = current_loan(lending_setup, day)
    person = reporter()
    with CaptureQueriesContext(connection) as queries:
        row, generated = services.generate_feed(day)
    assert generated and row.records == 2
    inserts = [q["sql"] for q in queries.captured_queries if "INSERT INTO bureau_record" in q["sql"]]
    assert len(inserts) == 1 and "SELECT" in inserts[0]  # one INSERT … SELECT, no loop over loans
    # Nothing per loan: only the readiness checks, the feed-day row and the audit event.
    assert len(queries.captured_queries) < 20
    result = services.send_feed(day, batch_size=1)
    assert not result.generated and result.sent.batches == 2 and result.sent.accepted == 2
    records = daily(day)
    assert records[late.pk].reported_status == "overdue" and records[late.pk].days_past_due == 5
    assert records[late.pk].principal_overdue == late.principal_overdue > 0
    assert records[late.pk].interest == late.interest_accrued + late.interest_overdue
    assert records[fine.pk].reported_status == "current" and records[fine.pk].days_past_due == 0
    # every batch says which responsible person's account sent it (R-CB-1)
    assert set(Batch.objects.values_list("person_id", "account")) == {(person.pk, "bureau-ivanova")}
    assert set(SimBatch.objects.values_list("account", flat=True)) == {"bureau-ivanova"}
    assert FeedDay.objects.get(date=day).status == "sent"
    # a second run for the same date generates and sends nothing new
    again = services.send_feed(day)
    assert not again.generated and again.sent.batches == 0
    assert SimBatch.objects.count() == 2 and Record.objects.filter(feed_date=day).count() == 2
    state = EmbeddedCreditBureau.state(late.number)
    assert state.status == "overdue" and state.days_past_due == 5 and state.debt > 0


def test_the_command_sends_and_reports(lending_setup, capsys):
    _late, day = overdue_loan(lending_setup)
    reporter()
    call_command("send_bureau_feed", "--date", day.isoformat())
    out = capsys.readouterr().out
    assert f"{day}: 1 records (generated now); sent 1 batches, 1 accepted, 0 rejected" in out
    call_command("send_bureau_feed", "--date", day.isoformat())
    assert "generated earlier); sent 0 batches" in capsys.readouterr().out
    with pytest.raises(CommandError, match="--date"):
        call_command("send_bureau_feed", "--date", "yesterday")


@pytest.mark.req("R-CB-1")
def test_nobody_responsible_refuses_and_generates_nothing(lending_setup):
    _late, day = overdue_loan(lending_setup)
    with pytest.raises(services.NoResponsiblePerson, match="responsible person"):
        services.send_feed(day)
    # a person whose period ended, or an inquiry-only account, does not count
    reporter(account="old", active_from=dt.date(2025, 1, 1), active_to=dt.date(2025, 12, 31))
    reporter(account="asks-only", role="inquirer")
    with pytest.raises(CommandError, match="responsible person"):
        call_command("send_bureau_feed", "--date", day.isoformat())
    assert not FeedDay.objects.exists() and not Record.objects.exists() and not SimBatch.objects.exists()


@pytest.mark.req("R-CB-1")
def test_responsible_persons_are_validated_and_audited(lending_setup):
    person = reporter(account="acc-1")
    assert AuditEvent.objects.filter(
        action="bureau.responsible_person_added", target_id=str(person.pk)
    ).exists()
    with pytest.raises(services.ValidationError):
        reporter(account="acc-1")  # one account, one named person
    with pytest.raises(services.ValidationError):
        reporter(account="acc-2", active_from=dt.date(2026, 5, 1), active_to=dt.date(2026, 4, 1))
    today = timezone.localdate()
    services.end_responsible_person(person, on=today - dt.timedelta(days=1), actor="system")
    assert services.active_reporter(today) is None


def test_feed_waits_for_the_close_of_business(lending_setup):
    late, day = overdue_loan(lending_setup)
    reporter()
    with pytest.raises(services.FeedNotReady, match="not finished"):
        services.send_feed(day + dt.timedelta(days=1))
    close_through(late, day + dt.timedelta(days=2))
    with pytest.raises(services.FeedNotReady, match="moved past"):
        services.send_feed(day)
    with pytest.raises(services.FeedNotReady):
        services.send_feed(timezone.localdate())
    assert not FeedDay.objects.exists()


@pytest.mark.req("R-FRAUD-2")
def test_suspended_loan_is_reported_suspended_without_debt(lending_setup, django_capture_on_commit_callbacks):
    late, day = overdue_loan(lending_setup)
    reporter()
    assert late.days_past_due > 0 and late.principal_overdue > 0
    Loan.objects.filter(pk=late.pk).update(
        suspended_from=day - dt.timedelta(days=1), suspension_reason="case 7"
    )
    services.send_feed(day)
    record = daily(day)[late.pk]
    assert record.reported_status == "suspended" and record.days_past_due == 0 and record.dpd_bucket == 0
    debt = (record.principal, record.principal_overdue, record.interest, record.interest_overdue)
    assert debt == (0, 0, 0, 0) and record.penalty == record.fees_overdue == 0
    state = EmbeddedCreditBureau.state(late.number)
    assert state.status == "suspended" and state.debt == 0 and state.days_past_due == 0
    # the one-off suspension record (called by the fraud-victim workflow) is sent at once, once per source
    with django_capture_on_commit_callbacks(execute=True):
        first = services.report_suspension(late, actor="system", source="case:7")
    second = services.report_suspension(late, actor="system", source="case:7")
    assert first.pk == second.pk and Record.objects.filter(kind="suspension").count() == 1
    first.refresh_from_db()
    assert first.outcome == "accepted" and first.batch.account == "bureau-ivanova"
    assert first.reported_status == "suspended" and first.principal == 0


@pytest.mark.req("R-FRAUD-3")
def test_correction_replaces_the_bureau_state(lending_setup, django_capture_on_commit_callbacks):
    late, day = overdue_loan(lending_setup)
    reporter()
    services.send_feed(day)
    before = EmbeddedCreditBureau.state(late.number)
    assert before.status == "overdue" and before.debt > 0
    with django_capture_on_commit_callbacks(execute=True):
        correction = services.record_correction(
            late, reason="Court verdict: the client did not receive the loan", actor="system", source="case:9"
        )
    assert (
        services.record_correction(late, reason="again", actor="system", source="case:9").pk == correction.pk
    )
    correction.refresh_from_db()
    assert correction.outcome == "accepted" and correction.reported_status == "cleared"
    after = EmbeddedCreditBureau.state(late.number)
    assert after.status == "cleared" and after.debt == 0 and after.days_past_due == 0
    assert SimLoanState.objects.filter(contract_number=late.number).count() == 1
    assert AuditEvent.objects.filter(action="bureau.correction_recorded", target_id=str(late.pk)).exists()
    # from now on the daily feed reports the loan without debt, even before its write-off is booked
    next_day = day + dt.timedelta(days=1)
    close_through(late, next_day)
    services.send_feed(next_day)
    record = daily(next_day)[late.pk]
    assert record.reported_status == "cleared" and record.final and record.principal == 0
    assert EmbeddedCreditBureau.state(late.number).status == "cleared"


def test_pending_one_off_records_wait_when_nobody_may_send(lending_setup, django_capture_on_commit_callbacks):
    late, day = overdue_loan(lending_setup)
    with django_capture_on_commit_callbacks(execute=True):
        record = services.record_correction(late, reason="verdict", actor="system")  # no person yet: kept
    record.refresh_from_db()
    assert record.outcome == "pending" and record.batch is None
    assert AuditEvent.objects.filter(action="bureau.pending_not_sent").exists()
    reporter()
    services.send_feed(day)  # the nightly run sends what waited
    record.refresh_from_db()
    assert record.outcome == "accepted"


def test_malformed_record_is_rejected_with_its_reason(lending_setup):
    late, day = overdue_loan(lending_setup)
    reporter()
    services.generate_feed(day)
    # a record that went wrong on its way (the clients room never lets an IIN change): check digit off
    iin = late.client.iin
    Record.objects.filter(loan=late).update(subject_id=iin[:11] + str((int(iin[11]) + 1) % 10))
    result = services.send_feed(day)
    assert result.sent.rejected == 1 and result.sent.accepted == 0
    record = daily(day)[late.pk]
    assert record.outcome == "rejected" and record.reject_code == "invalid_subject"
    assert "check digit" in services.reason_in_words(record.reject_code)
    assert SimRecord.objects.get(record_key=str(record.pk)).accepted is False
    assert EmbeddedCreditBureau.state(late.number) is None  # nothing applied


def test_simulator_validates_each_record():
    good = {
        "kind": "daily",
        "as_of": dt.date(2026, 8, 1),
        "contract_number": "N-1",
        "subject_id": "900101400152",
        "subject_kind": "iin",
    }
    sim = EmbeddedCreditBureau()
    sim.register_account("acc", "Иванова А.")
    items = (
        FeedItem(key="1", status="current", principal=100, **good),
        FeedItem(key="2", status="current", principal=-1, **good),
        FeedItem(key="3", status="bankrupt", **good),
        FeedItem(key="4", status="suspended", penalty=5, **good),
        FeedItem(key="5", status="current", **{**good, "subject_id": "900101400153"}),
    )
    ack = sim.submit_batch(FeedBatch("b-1", "acc", items))
    reasons = {r.key: r.reason for r in ack.results}
    assert reasons == {
        "1": "",
        "2": "negative_amount",
        "3": "unknown_status",
        "4": "debt_while_suspended",
        "5": "invalid_subject",
    }
    # the same batch id again: the stored answer, nothing applied twice
    assert sim.submit_batch(FeedBatch("b-1", "acc", items)) == ack and SimBatch.objects.count() == 1
    with pytest.raises(services.BureauRefused):
        sim.submit_batch(FeedBatch("b-2", "stranger", items))
    sim.disable_account("acc")
    with pytest.raises(services.BureauRefused):
        sim.submit_batch(FeedBatch("b-3", "acc", items))


class FlakyBureau(EmbeddedCreditBureau):
    """Fails the first ``failures`` deliveries after the bureau received them (the answer is lost)."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.seen: list[str] = []

    def submit_batch(self, batch):
        self.seen.append(batch.batch_id)
        ack = super().submit_batch(batch)
        if self.failures:
            self.failures -= 1
            raise BureauError("the bureau did not answer in time")
        return ack


def test_a_lost_answer_is_resent_with_the_same_batch_id(lending_setup):
    late, day = overdue_loan(lending_setup)
    reporter()
    flaky = FlakyBureau(failures=1)
    with pytest.raises(BureauError):
        services.send_feed(day, port=flaky)
    record = daily(day)[late.pk]
    assert record.outcome == "pending"  # nothing marked sent without the bureau's answer
    batch = Batch.objects.get()
    assert batch.status == "prepared" and "in time" in batch.last_error
    assert FeedDay.objects.get(date=day).status == "generated"
    result = services.send_feed(day, port=flaky)  # resumes
    assert flaky.seen == [batch.batch_id, batch.batch_id] and result.sent.accepted == 1
    assert SimBatch.objects.count() == 1  # the bureau received it once
    assert FeedDay.objects.get(date=day).status == "sent"


def test_settings_select_the_adapter_and_the_beat_runs_the_feed(settings):
    from qaryz.bureau.adapters.http import HttpCreditBureau

    assert isinstance(services.bureau(), EmbeddedCreditBureau)
    settings.BUREAU_FEED, settings.BUREAU_FEED_URL, settings.BUREAU_FEED_TOKEN = (
        "http",
        "https://cb.test",
        "t",
    )
    assert isinstance(services.bureau(), HttpCreditBureau)
    entry = settings.CELERY_BEAT_SCHEDULE["send-bureau-feed"]
    assert entry["args"][0] == "qaryz.bureau.tasks.send_bureau_feed_job"


@pytest.mark.req("R-FRAUD-2")
def test_suspended_loan_accrues_nothing_through_the_close_and_is_reported_suspended(lending_setup):
    """Issue 12 "Done means": the real close of business skips the suspended loan; the feed of
    that day reports it suspended, without debt."""
    from qaryz.servicing import close_of_day
    from qaryz.servicing.models import Transfer

    late, day = overdue_loan(lending_setup)
    reporter()
    Loan.objects.filter(pk=late.pk).update(suspended_from=day + dt.timedelta(days=1))
    transfers = Transfer.objects.filter(loan=late).count()
    next_day = day + dt.timedelta(days=1)
    close_of_day.run(next_day, booking_date=next_day, send_notices=False)
    assert Transfer.objects.filter(loan=late).count() == transfers  # nothing accrued
    late.refresh_from_db()
    assert late.closed_through == next_day and late.days_past_due > 0  # the loan still owes
    services.send_feed(next_day)
    record = daily(next_day)[late.pk]
    assert record.reported_status == "suspended" and record.days_past_due == 0 and record.penalty == 0
    assert EmbeddedCreditBureau.state(late.number).debt == 0


def test_a_repaid_loan_is_reported_until_the_bureau_accepted_it_once(lending_setup):
    late, day = overdue_loan(lending_setup)
    reporter()
    Loan.objects.filter(pk=late.pk).update(status="closed", closed_on=day)  # the state, not the path
    services.send_feed(day)
    assert daily(day)[late.pk].reported_status == "closed" and daily(day)[late.pk].final
    next_day = day + dt.timedelta(days=1)
    services.send_feed(next_day)
    assert late.pk not in daily(next_day)  # accepted as repaid: not reported again
