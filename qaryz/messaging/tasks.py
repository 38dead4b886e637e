"""Jobs of the messaging room (django-tasks: in-process when embedded, Celery workers in production)."""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def deliver_payment_notices(items: list[list[Any]]) -> int:
    """The "payment received" notices of a posted batch (``status_notices.payments_received``);
    idempotent: a notice already delivered (its key) is not delivered again."""
    from qaryz.messaging import status_notices

    return status_notices.deliver_payments_received(items)
