"""Jobs used by test_jobs.py; module-level so that a Celery worker can import them by path."""

from __future__ import annotations

import os
from pathlib import Path

from django_tasks import task


@task()
def write_marker(path: str, text: str) -> str:
    """A visible effect in another process: a file with the text and the writer's process id."""
    Path(path).write_text(f"{text}\n{os.getpid()}\n", encoding="utf-8")
    return text
