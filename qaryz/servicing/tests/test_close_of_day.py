"""The close of business: accrual to the tiyn, falling due, delay, penalties within every cap, the
delay notice, closing repaid loans, idempotency and catch-up (R-ARCH-1 for the retention clock)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from qaryz.servicing import close_of_day, ledger
from qaryz.servicing.amounts import penalty_for_day, round_div
from qaryz.servicing.ledger import Leg
from qaryz.servicing.models import BusinessDay, DelayNotice, Instalment, Loan, Transfer
from qaryz.servicing.tests.factories import active_loan

pytestmark = pytest.mark.django_db

START = dt.date(2026, 12, 10)


def close_through(day: dt.date, **kwargs) -> None:
    close_of_day.run(day, booking_date=day, **kwargs)


def ledger_rows() -> list[tuple]:
    return list(
        Transfer.objects.order_by("key").values_list(
            "key", "kind", "entry", "loan_id", "debit_id", "credit_id", "amount", "value_date"
        )
    )


def loan_state(loan_id: int) -> dict:
    values = Loan.objects.filter(pk=loan_id).values().get()
    values.pop("created_at")
    return values


def test_interest_over_a_period_equals_the_schedule(lending_setup):
    loan = active_loan(lending_setup, START)
    first = Instalment.objects.get(loan=loan, number=1)
    close_through(first.due_date - dt.timedelta(days=1))
    loan.refresh_from_db()
    accruals = Transfer.objects.filter(loan=loan, kind="accrual")
    assert accruals.count() == (first.due_date - first.period_start).days - 1
    # Not yet all: the last day brings the rest, and then the instalment falls due.
    assert 0 < loan.interest_accrued < first.interest
    close_through(first.due_date)
    total = sum(Transfer.objects.filter(loan=loan, kind="accrual").values_list("amount", flat=True))
    assert total == first.interest  # to the tiyn
    loan.refresh_from_db()
    first.refresh_from_db()
    assert first.fell_due and loan.interest_accrued == 0
    assert loan.interest_overdue == first.interest and loan.principal_overdue == first.principal
    assert loan.cur_number == 2 and loan.overdue_since == first.due_date + dt.timedelta(days=1)
    second = Instalment.objects.get(loan=loan, number=2)
    assert loan.cur_start == second.period_start and loan.cur_interest == second.interest


def test_sql_rounding_agrees_with_python():
    cases = [(1234567, k, 31) for k in range(0, 32)] + [
        (5, 1, 2),
        (3, 1, 2),
        (1, 1, 3),
        (999_999_999, 17, 30),
    ]
    with connection.cursor() as cursor:
        for interest, k, n in cases:
            cursor.execute(
                f"SELECT {close_of_day.round_div_sql(f'CAST({interest} AS bigint) * {k}', str(n))}"
            )
            assert cursor.fetchone()[0] == round_div(interest * k, n)
        for base, ppm in [(150000_00, 5000), (1, 500000), (3, 166667), (123456789, 300)]:
            cursor.execute(
                f"SELECT {close_of_day.round_div_sql(f'CAST({base} AS bigint) * {ppm}', '1000000')}"
            )
            assert cursor.fetchone()[0] == penalty_for_day(base, ppm)


def deposit(loan: Loan, amount: int, on: dt.date, ref: str) -> None:
    """Money received into the loan's advance (what the repayments room does before allocation)."""
    with transaction.atomic():
        locked = Loan.objects.select_for_update().get(pk=loan.pk)
        ledger.post(
            locked,
            [Leg("clearing", "advance", amount, channel="bank")],
            key=f"test-pay:{ref}",
            kind="payment",
            value_date=on,
        )
        locked.save()


@pytest.mark.req("R-CAB-5")
def test_unpaid_instalment_falls_overdue_with_delay_penalty_bucket_and_one_notice(lending_setup, settings):
    settings.QARYZ_SERVICING_DPD_BUCKETS = "1,3,31"
    loan = active_loan(lending_setup, START)
    first = Instalment.objects.get(loan=loan, number=1)
    due = first.due_date
    close_through(due)
    loan.refresh_from_db()
    assert loan.overdue_since == due + dt.timedelta(days=1)
    assert loan.days_past_due == 0 and loan.penalty == 0  # the delay starts tomorrow
    notices = list(DelayNotice.objects.filter(loan=loan))
    assert len(notices) == 1 and notices[0].status == DelayNotice.Status.QUEUED
    assert notices[0].overdue_since == loan.overdue_since
    assert (notices[0].deadline - notices[0].overdue_since).days + 1 <= 10  # within 10 calendar days

    base = first.principal + first.interest
    close_through(due + dt.timedelta(days=1))
    loan.refresh_from_db()
    assert loan.days_past_due == 1 and loan.dpd_bucket == 1
    assert loan.penalty == penalty_for_day(base, loan.penalty_ppm_high)
    close_through(due + dt.timedelta(days=3))
    loan.refresh_from_db()
    assert loan.days_past_due == 3 and loan.dpd_bucket == 2
    assert loan.penalty == 3 * penalty_for_day(base, loan.penalty_ppm_high)
    pen = Transfer.objects.filter(loan=loan, kind="penalty").order_by("value_date")
    assert [t.value_date for t in pen] == [due + dt.timedelta(days=i) for i in (1, 2, 3)]
    assert DelayNotice.objects.filter(loan=loan).count() == 1  # queued once per delay
    assert ledger.balances_from_transfers(loan.pk)["penalty"] == loan.penalty


def test_advance_pays_the_instalment_on_its_due_date(lending_setup):
    loan = active_loan(lending_setup, START)
    first = Instalment.objects.get(loan=loan, number=1)
    deposit(loan, first.total + 500, START + dt.timedelta(days=5), "a")
    close_through(first.due_date)
    loan.refresh_from_db()
    first.refresh_from_db()
    assert first.paid_on == first.due_date and first.unpaid == 0
    assert loan.advance == 500 and loan.overdue_since is None
    assert loan.principal_overdue == loan.interest_overdue == 0
    assert DelayNotice.objects.filter(loan=loan).count() == 0
    assert Transfer.objects.filter(key=f"due:{first.pk}:1", amount=first.interest).exists()


def test_partial_advance_principal_first_order(lending_setup):
    loan = active_loan(lending_setup, START)
    Loan.objects.filter(pk=loan.pk).update(
        allocation_order=[
            "overdue_principal",
            "overdue_interest",
            "penalty",
            "current_principal",
            "current_interest",
        ]
    )
    first = Instalment.objects.get(loan=loan, number=1)
    deposit(loan, first.principal + 100, START + dt.timedelta(days=1), "p")
    close_through(first.due_date)
    first.refresh_from_db()
    loan.refresh_from_db()
    assert first.principal_paid == first.principal and first.interest_paid == 100
    assert loan.interest_overdue == first.interest - 100 and loan.principal_overdue == 0
    assert loan.advance == 0


def test_a_second_run_changes_nothing(lending_setup):
    loan = active_loan(lending_setup, START)
    target = Instalment.objects.get(loan=loan, number=1).due_date + dt.timedelta(days=2)
    close_through(target)
    before = (
        ledger_rows(),
        loan_state(loan.pk),
        list(BusinessDay.objects.values("date", "loans", "figures")),
    )
    close_through(target)
    call_command("close_business_day", "--date", target.isoformat(), stdout=__import__("io").StringIO())
    after = (ledger_rows(), loan_state(loan.pk), list(BusinessDay.objects.values("date", "loans", "figures")))
    assert before == after


def test_catch_up_equals_day_by_day(lending_setup):
    loans = [active_loan(lending_setup, START), active_loan(lending_setup, START + dt.timedelta(days=3))]
    deposit(loans[1], 1000_00, START + dt.timedelta(days=4), "c")
    target = START + dt.timedelta(days=45)

    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        close_through(target, size=1)  # all missed days at once, one loan per chunk
        caught_up = (ledger_rows(), [loan_state(loan.pk) for loan in loans])
        raise Rollback
    day = START
    while day < target:
        day += dt.timedelta(days=1)
        close_through(day)
    assert (ledger_rows(), [loan_state(loan.pk) for loan in loans]) == caught_up
    assert Transfer.objects.filter(kind="penalty").exists()  # the window covers a delay


def test_check_ledger_finds_a_tampered_balance(lending_setup):
    from django.core.management.base import CommandError

    loan = active_loan(lending_setup, START)
    close_through(START + dt.timedelta(days=3))
    out = __import__("io").StringIO()
    call_command("check_ledger", stdout=out)
    assert "agree" in out.getvalue()
    Loan.objects.filter(pk=loan.pk).update(interest_accrued=loan.interest_accrued + 7)
    Loan.objects.filter(pk=loan.pk).update(cur_number=5)
    out = __import__("io").StringIO()
    with pytest.raises(CommandError):
        call_command("check_ledger", stdout=out)
    text = out.getvalue()
    assert "interest_accrued" in text and loan.number in text
    assert "accruing instalment" in text


def test_repaid_loan_is_closed_and_its_documents_retention_clock_starts(lending_setup):
    from qaryz.records.models import StoredDocument

    loan = active_loan(lending_setup, START, term=3)
    rows = list(Instalment.objects.filter(loan=loan).order_by("number"))
    deposit(loan, sum(r.total for r in rows) + 1234, START + dt.timedelta(days=1), "full")
    last = rows[-1].due_date
    close_through(last)
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED and loan.closed_on == last
    assert loan.advance == 0 and loan.refund_payable == 1234
    assert Transfer.objects.filter(key=f"close:{loan.pk}:1", amount=1234).exists()
    contract_doc = StoredDocument.objects.get(pk=loan.contract.vault_document_id)
    assert contract_doc.obligations_end == last
    assert contract_doc.retention_until == last.replace(year=last.year + 5)
    assert ledger.balances_from_transfers(loan.pk)["refund_payable"] == 1234
    call_command("check_ledger", stdout=__import__("io").StringIO())


def test_delay_notice_is_sent_in_the_clients_language(lending_setup, django_capture_on_commit_callbacks):
    """The notice goes out as a letter (collections room: PDF in the vault with its receipt,
    cabinet, SMS) when the run ends within permitted contact hours (a weekday 10:00 here)."""
    import zoneinfo

    import time_machine

    from qaryz.messaging.models import Notification
    from qaryz.servicing.tasks import send_delay_notices

    loan = active_loan(lending_setup, START)
    loan.client.preferred_language = "kk"
    loan.client.save(update_fields=["preferred_language"])
    weekday_morning = dt.datetime(2027, 1, 12, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Almaty"))
    with time_machine.travel(weekday_morning, tick=False):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            close_through(Instalment.objects.get(loan=loan, number=1).due_date)  # enqueues the sending job
        # the sending job, and the letter's push to the client's app (messaging.push_after_commit)
        assert sorted(c.__qualname__.split(".")[0] for c in callbacks) == [
            "enqueue_notices",
            "push_after_commit",
        ]
        assert send_delay_notices.call() == 0  # nothing left to send
    notice = DelayNotice.objects.get(loan=loan)
    assert notice.status == DelayNotice.Status.SENT and notice.sent_at is not None
    assert notice.letter is not None and notice.letter.language == "kk"
    note = Notification.objects.get(client=loan.client)
    assert loan.payment_reference in note.body and loan.number in note.body
    assert "overdue" not in note.body.lower()  # Kazakh, not the English source


def test_delay_notice_waits_outside_permitted_hours(lending_setup, django_capture_on_commit_callbacks):
    """At the nightly run (00:30) contacts are not permitted: the notice stays queued for the
    hourly job, which sends it at the next permitted time."""
    import zoneinfo

    import time_machine

    from qaryz.servicing.tasks import send_delay_notices

    loan = active_loan(lending_setup, START)
    almaty = zoneinfo.ZoneInfo("Asia/Almaty")
    night = dt.datetime(2027, 1, 12, 0, 30, tzinfo=almaty)
    with time_machine.travel(night, tick=False), django_capture_on_commit_callbacks(execute=True):
        close_through(Instalment.objects.get(loan=loan, number=1).due_date)
    notice = DelayNotice.objects.get(loan=loan)
    assert notice.status == DelayNotice.Status.QUEUED
    with time_machine.travel(dt.datetime(2027, 1, 12, 9, 5, tzinfo=almaty), tick=False):
        assert send_delay_notices.call() == 1
    notice.refresh_from_db()
    assert notice.status == DelayNotice.Status.SENT and notice.letter_id


def test_a_suspended_loan_accrues_nothing_and_nothing_falls_due(lending_setup):
    """Rules §13 (R-FRAUD-2): from the suspension date the close of business books nothing for the
    loan – no interest, no penalty, no instalment moved to overdue – but marks the day closed."""
    loan = active_loan(lending_setup, START)
    first = Instalment.objects.get(loan=loan, number=1)
    close_through(START + dt.timedelta(days=5))
    loan.refresh_from_db()
    accrued = loan.interest_accrued
    before = Transfer.objects.filter(loan=loan).count()
    Loan.objects.filter(pk=loan.pk).update(suspended_from=START + dt.timedelta(days=6))
    close_through(first.due_date + dt.timedelta(days=10))
    loan.refresh_from_db()
    first.refresh_from_db()
    assert Transfer.objects.filter(loan=loan).count() == before
    assert loan.interest_accrued == accrued and loan.penalty == 0 and loan.principal_overdue == 0
    assert not first.fell_due and loan.days_past_due == 0
    assert loan.closed_through == first.due_date + dt.timedelta(days=10)
    assert not DelayNotice.objects.filter(loan=loan).exists()


def test_check_ledger_finds_a_transfer_naming_no_account(lending_setup):
    """The account columns carry no per-row foreign-key trigger (the close of business writes a
    million rows a night): check_ledger is what proves each names an account of the chart."""
    from django.core.management.base import CommandError

    loan = active_loan(lending_setup, START)
    good = Transfer.objects.filter(loan=loan).first()
    Transfer.objects.create(
        key="stray:1",
        kind="accrual",
        loan=None,
        debit_id=good.debit_id,
        credit_id=987654,
        amount=1,
        value_date=START,
        booking_date=START,
    )
    out = __import__("io").StringIO()
    with pytest.raises(CommandError):
        call_command("check_ledger", stdout=out)
    assert "naming no account" in out.getvalue()
