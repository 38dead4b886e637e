"""Background jobs of the bureau room (django-tasks: in-process or Celery, see settings.TASKS).

``send_bureau_feed_job`` is scheduled nightly by Celery beat after the close of business
(settings ``CELERY_BEAT_SCHEDULE``, entry ``send-bureau-feed``); ``send_pending_records`` is
enqueued after a suspension or correction is recorded. Both are idempotent.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django_tasks import task

from qaryz.bureau import services
from qaryz.bureau.ports import BureauError
from qaryz.records.services import record_event

log = logging.getLogger(__name__)


@task()
def send_bureau_feed_job(date: str | None = None) -> dict:
    result = services.send_feed(dt.date.fromisoformat(date) if date else None)
    return {
        "date": result.date.isoformat(),
        "records": result.records,
        "batches": result.sent.batches,
        "accepted": result.sent.accepted,
        "rejected": result.sent.rejected,
    }


@task()
def send_pending_records() -> int:
    """Send suspension and correction records now; when that is not possible (nobody responsible,
    bureau down) they stay pending for the nightly run, and the reason is audited – never raised to
    the workflow that recorded them."""
    try:
        return services.send_pending().batches
    except (services.NoResponsiblePerson, BureauError) as exc:
        log.warning("bureau: pending records not sent: %s", exc)
        with transaction.atomic():
            record_event("bureau.pending_not_sent", actor="system", data={"reason": str(exc)[:300]})
        return 0
