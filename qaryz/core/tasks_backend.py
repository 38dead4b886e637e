"""A django-tasks backend that hands jobs to Celery workers (production).

Application code defines jobs with ``django_tasks.task`` and calls ``.enqueue()``; the
embedded default runs them in-process (ImmediateBackend), production sets
``CELERY_BROKER_URL`` and they travel to Celery over Redis or RabbitMQ, where the worker task
``qaryz.run_task`` (qaryz/celery.py) imports the job by its path and calls it.

Jobs must be idempotent: Celery acknowledges late (``CELERY_TASK_ACKS_LATE``), so a job whose
worker dies is delivered again. Enqueue after the transaction that creates the job's data has
committed (``transaction.on_commit(lambda: job.enqueue(...))``): a worker is another process and
does not see uncommitted rows.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from celery import Celery
from django.utils import timezone
from django_tasks.backends.base import BaseTaskBackend
from django_tasks.base import Task, TaskResult, TaskResultStatus
from django_tasks.exceptions import InvalidTaskError
from django_tasks.utils import get_random_id

RUN_TASK = "qaryz.run_task"


class CeleryBackend(BaseTaskBackend):
    """``TASKS = {"default": {"BACKEND": "qaryz.core.tasks_backend.CeleryBackend"}}``.

    ``OPTIONS`` may carry ``broker_url`` to publish through a dedicated Celery app (used by the
    tests and by a second broker); otherwise the project app of ``qaryz.celery`` is used, which
    reads ``CELERY_*`` from the settings.
    """

    supports_defer = True
    supports_async_task = False
    supports_get_result = False
    supports_priority = False

    @cached_property
    def celery_app(self) -> Celery:
        broker_url = self.options.get("broker_url")
        if broker_url:
            app = Celery("qaryz-tasks", broker=broker_url, set_as_current=False)
            app.conf.task_default_queue = "default"
            return app
        from qaryz.celery import app

        return app

    def validate_task(self, task: Task) -> None:  # type: ignore[type-arg]
        super().validate_task(task)
        if task.takes_context:
            # The worker has no django-tasks result store to build a TaskContext from.
            raise InvalidTaskError("CeleryBackend does not support takes_context tasks.")

    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:  # type: ignore[type-arg]
        self.validate_task(task)
        result_id = get_random_id()
        self.celery_app.send_task(
            RUN_TASK,
            args=[task.module_path, list(args), dict(kwargs)],
            task_id=result_id,
            queue=task.queue_name,
            eta=task.run_after,
        )
        return TaskResult(
            task=task,
            id=result_id,
            status=TaskResultStatus.READY,
            enqueued_at=timezone.now(),
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=list(args),
            kwargs=dict(kwargs),
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
