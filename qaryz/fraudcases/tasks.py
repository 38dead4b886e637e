"""Nightly job of the fraud-victim cases (Celery beat ``fraud-case-deadlines``, 06:00 Asia/Almaty)."""

from __future__ import annotations

from django_tasks import task

from qaryz.fraudcases import services


@task()
def check_deadlines_job() -> dict[str, int]:
    return services.flag_overdue_steps()
