"""Delay notices as letters (Law on microfinance Art. 9-2, DOMAIN.md; R-RCPT-1, R-ARCH-1): the PDF in
the client's language kept in the vault with its receipt, within the deadline, only within the
permitted contact hours of the policy in force (configuration with effective dates)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from qaryz.collections import selectors
from qaryz.collections.models import CollectionPolicy
from qaryz.collections.tests.helpers import at, loan_in_delay
from qaryz.messaging.models import Letter, SmsDelivery
from qaryz.records.models import Receipt, StoredDocument
from qaryz.servicing.models import DelayNotice
from qaryz.servicing.tasks import send_delay_notices

pytestmark = pytest.mark.django_db


@pytest.mark.req("R-RCPT-1", "R-ARCH-1")
def test_delay_notice_is_a_letter_with_receipt_in_the_clients_language(lending_setup):
    loan, notice = loan_in_delay(lending_setup, language="kk")
    assert notice.status == DelayNotice.Status.QUEUED
    assert notice.deadline == notice.overdue_since + dt.timedelta(days=9)  # within 10 calendar days
    # The first overdue day is a Saturday or a weekday; send at the first permitted moment.
    moment = selectors.next_contact_time(at(notice.overdue_since, 8))
    with time_machine.travel(moment, tick=False):
        assert send_delay_notices.call() == 1
    notice.refresh_from_db()
    assert notice.status == DelayNotice.Status.SENT
    assert notice.sent_at.date() <= notice.deadline
    letter = notice.letter
    assert letter.kind == "delay_notice" and letter.language == "kk"
    assert letter.reference == f"servicing.loan:{loan.pk}"
    assert loan.number in letter.body and loan.payment_reference in letter.body
    assert "30" in letter.body and "overdue" not in letter.body.lower()  # Kazakh, with the 30 days
    document = StoredDocument.objects.get(pk=letter.document_id)
    assert document.kind == "letter.delay_notice" and document.owner_id == str(loan.client_id)
    assert Receipt.objects.filter(document=document).exists()  # the vault's signed receipt
    assert SmsDelivery.objects.filter(phone=loan.client.phone, purpose="notification").exists()
    with time_machine.travel(moment, tick=False):
        assert send_delay_notices.call() == 0  # sent once


def test_outside_permitted_hours_the_notice_waits_until_the_next_permitted_time(lending_setup):
    loan, notice = loan_in_delay(lending_setup)
    friday_night = at(dt.date(2027, 1, 8), 21, 30)  # a Friday, after 20:00
    assert not selectors.contact_allowed(friday_night)
    with time_machine.travel(friday_night, tick=False):
        assert send_delay_notices.call() == 0
    notice.refresh_from_db()
    assert (
        notice.status == DelayNotice.Status.QUEUED and not Letter.objects.filter(client=loan.client).exists()
    )
    nxt = selectors.next_contact_time(friday_night)
    assert nxt == at(dt.date(2027, 1, 11), 9)  # Monday 09:00 (weekend not permitted by default)
    with time_machine.travel(nxt, tick=False):
        assert send_delay_notices.call() == 1
    notice.refresh_from_db()
    assert notice.status == DelayNotice.Status.SENT and notice.letter_id


def test_a_suspended_loans_notice_waits(lending_setup):
    """Rules §13 (R-FRAUD-2): collection is suspended, so the delay notice is not sent."""
    from qaryz.servicing.models import Loan

    loan, notice = loan_in_delay(lending_setup)
    Loan.objects.filter(pk=loan.pk).update(suspended_from=notice.overdue_since, suspension_reason="case 7")
    with time_machine.travel(at(dt.date(2027, 1, 11), 10), tick=False):
        assert send_delay_notices.call() == 0
    notice.refresh_from_db()
    assert notice.status == DelayNotice.Status.QUEUED


def test_policy_in_force_is_the_newest_by_effective_date():
    default = selectors.policy_on(dt.date(2026, 12, 31))
    assert (
        default.notice_deadline_days,
        default.changed_terms_window_days,
        default.answer_deadline_days,
    ) == (
        10,
        30,
        15,
    )
    CollectionPolicy.objects.create(
        effective_from=dt.date(2027, 2, 1),
        contact_from=dt.time(10, 0),
        contact_until=dt.time(18, 0),
        contact_weekdays="1,2,3,4,5,6",
        changed_terms_window_days=45,
        notice_deadline_days=7,
    )
    assert selectors.policy_on(dt.date(2027, 1, 31)).changed_terms_window_days == 30
    assert selectors.policy_on(dt.date(2027, 2, 1)).changed_terms_window_days == 45
    assert selectors.policy_on(dt.date(2030, 1, 1)).notice_deadline_days == 7
    # Hours: 09:30 allowed under the old policy, not under the new one (from 10:00).
    assert selectors.contact_allowed(at(dt.date(2027, 1, 27), 9, 30))
    assert not selectors.contact_allowed(at(dt.date(2027, 2, 3), 9, 30))
    assert selectors.contact_allowed(at(dt.date(2027, 2, 3), 10, 0))
    assert not selectors.contact_allowed(at(dt.date(2027, 2, 3), 18, 0))  # until 18:00, exclusive
    # Saturday: not under the old policy, yes under the new one.
    assert not selectors.contact_allowed(at(dt.date(2027, 1, 30), 12))
    assert selectors.contact_allowed(at(dt.date(2027, 2, 6), 12))
    # A public holiday (16 December, Independence Day) is not permitted by default.
    assert not selectors.contact_allowed(at(dt.date(2026, 12, 16), 12))
    # The next permitted time crosses into the new policy: Sunday evening → Monday 10:00.
    assert selectors.next_contact_time(at(dt.date(2027, 1, 31), 19)) == at(dt.date(2027, 2, 1), 10)


def test_the_close_of_business_queues_the_notice_with_the_policy_deadline(lending_setup):
    CollectionPolicy.objects.create(effective_from=dt.date(2026, 1, 1), notice_deadline_days=5)
    _loan, notice = loan_in_delay(lending_setup)
    assert notice.deadline == notice.overdue_since + dt.timedelta(days=4)
