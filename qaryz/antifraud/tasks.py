"""Background jobs of the antifraud room (django-tasks: in-process or Celery, see settings.TASKS)."""

from __future__ import annotations

from django_tasks import task


@task()
def resend_reports_job() -> dict[str, int]:
    """Every 15 minutes (Celery beat ``resend-afc-reports``): reports to the NBRK antifraud centre
    left pending by an outage are sent again with their own idempotency key."""
    from qaryz.antifraud.services import resend_reports

    return resend_reports()
