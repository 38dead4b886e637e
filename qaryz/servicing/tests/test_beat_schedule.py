"""Every Celery beat entry names a job that exists and runs (a typo would only show at night)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils.module_loading import import_string

pytestmark = pytest.mark.django_db


def test_every_scheduled_job_imports():
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] == "qaryz.run_task", name
        job = import_string(entry["args"][0])
        assert callable(job.call), name


def test_the_payout_reconciliation_job_runs_with_nothing_to_do():
    from qaryz.servicing.tasks import reconcile_payouts_job

    counts = reconcile_payouts_job.call()
    assert isinstance(counts, dict) and sum(counts.values()) == 0
