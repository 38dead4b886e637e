"""Background jobs of the servicing room (django-tasks: in-process or Celery, see settings.TASKS).

``close_business_day_job`` is scheduled nightly by Celery beat (settings ``CELERY_BEAT_SCHEDULE``):
it fans the day's loan-id chunks out as ``close_chunk_job`` jobs and waits for them (so it holds
one worker while the others close chunks). Every job is idempotent: a chunk delivered twice finds
its loans closed through the day already and does nothing.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from qaryz.core.money import format_money
from qaryz.records.services import record_event
from qaryz.servicing import close_of_day
from qaryz.servicing.amounts import to_kzt
from qaryz.servicing.models import DelayNotice


@task()
def close_chunk_job(day: str, first_id: int, last_id: int, booking_date: str) -> int:
    result = close_of_day.close_chunk(
        dt.date.fromisoformat(day), first_id, last_id, booking_date=dt.date.fromisoformat(booking_date)
    )
    return result.loans


@task()
def close_business_day_job(date: str | None = None) -> list[str]:
    target = dt.date.fromisoformat(date) if date else None
    return [row.date.isoformat() for row in close_of_day.run_distributed(target)]


@task()
def reconcile_payouts_job() -> dict[str, int]:
    """Every few minutes (Celery beat): settle payouts the bank has not answered (never pays twice)."""
    from qaryz.servicing import payouts

    return payouts.reconcile()


def notice_text(notice: DelayNotice) -> tuple[str, str]:
    """Subject and body of a delay notice in the active language."""
    loan = notice.loan
    language = translation.get_language() or "ru"
    overdue = loan.principal_overdue + loan.interest_overdue + loan.fee_overdue
    subject = _("Your loan payment is overdue")
    body = _(
        "The payment under contract %(number)s was due and is not paid: %(amount)s is overdue since "
        "%(since)s. A penalty accrues for each day of delay. Please pay using the payment reference "
        "%(reference)s."
    ) % {
        "number": loan.number,
        "amount": format_money(to_kzt(overdue), language),
        "since": notice.overdue_since.strftime("%d.%m.%Y"),
        "reference": loan.payment_reference,
    }
    return subject, body


@task()
def send_delay_notices() -> int:
    """Send the queued delay notices (a loop over notices, each marked sent in its transaction)."""
    from qaryz.messaging.services import notify_client

    sent = 0
    for notice_id in DelayNotice.objects.filter(status=DelayNotice.Status.QUEUED).values_list(
        "id", flat=True
    ):
        with transaction.atomic():
            notice = (
                DelayNotice.objects.select_for_update()
                .select_related("loan__client")
                .filter(pk=notice_id, status=DelayNotice.Status.QUEUED)
                .first()
            )
            if notice is None:  # sent meanwhile by another delivery of this job
                continue
            client = notice.loan.client
            with translation.override(client.preferred_language or "ru"):
                subject, body = notice_text(notice)
            notify_client(client, subject, body)
            notice.status = DelayNotice.Status.SENT
            notice.sent_at = timezone.now()
            notice.save(update_fields=["status", "sent_at"])
            record_event(
                "servicing.delay_notice_sent",
                actor="system",
                target=notice.loan,
                data={
                    "overdue_since": notice.overdue_since.isoformat(),
                    "deadline": notice.deadline.isoformat(),
                },
            )
            sent += 1
    return sent
