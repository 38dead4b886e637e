"""Background jobs of the servicing room (django-tasks: in-process or Celery, see settings.TASKS).

``close_business_day_job`` is scheduled nightly by Celery beat (settings ``CELERY_BEAT_SCHEDULE``):
it fans the day's loan-id chunks out as ``close_chunk_job`` jobs and waits for them (so it holds
one worker while the others close chunks). Every job is idempotent: a chunk delivered twice finds
its loans closed through the day already and does nothing.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from qaryz.servicing import close_of_day
from qaryz.servicing.models import DelayNotice

logger = logging.getLogger("qaryz.servicing")


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


@task()
def fetch_bank_statement_job() -> int:
    """Every few minutes (Celery beat): import the bank statement of incoming transfers."""
    from qaryz.servicing import repayments

    return len(repayments.fetch_statement().posted)


@task()
def send_delay_notices() -> int:
    """Send the queued delay notices as letters (``collections.services``: PDF in the client's
    language, vault copy with its receipt, cabinet and SMS), within permitted contact hours only.
    Outside them nothing is sent; where the job backend can defer (Celery) the job is enqueued again
    for the next permitted time, and the hourly beat entry ``send-delay-notices`` sends them anyway."""
    from qaryz.collections import selectors as collections_selectors
    from qaryz.collections.services import send_queued_delay_notices

    now = timezone.now()
    if not collections_selectors.contact_allowed(now):
        if DelayNotice.objects.filter(status=DelayNotice.Status.QUEUED).exists():
            _defer_to(collections_selectors.next_contact_time(now))
        return 0
    return send_queued_delay_notices(now)


def _defer_to(moment: dt.datetime) -> None:
    try:
        if send_delay_notices.get_backend().supports_defer:
            transaction.on_commit(lambda: send_delay_notices.using(run_after=moment).enqueue())
    except Exception:
        logger.warning("Could not defer the delay notices to %s", moment, exc_info=True)
