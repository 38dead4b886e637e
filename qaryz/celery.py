"""Celery application for production workers: ``celery -A qaryz worker -B``."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "qaryz.settings")

app = Celery("qaryz")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_default_queue = "default"


@app.task(name="qaryz.run_task", bind=True)
def run_task(self: Any, module_path: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
    """Run a django-tasks job by its import path inside a Celery worker."""
    from django.utils.module_loading import import_string

    task = import_string(module_path)
    return task.call(*args, **kwargs)
