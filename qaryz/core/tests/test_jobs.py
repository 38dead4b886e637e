"""Background jobs: django-tasks in-process by default, Celery workers over Redis or RabbitMQ.

The Celery tests start a real worker process (solo pool) on a queue of their own, so that runs
of other engineers or CI jobs sharing the same broker never take each other's messages.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django_tasks import TaskResultStatus

from qaryz.core.tests.sample_tasks import write_marker

ROOT = Path(__file__).resolve().parents[3]
REDIS_BROKER = os.environ.get("QARYZ_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
AMQP_BROKER = os.environ.get("QARYZ_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


def test_embedded_default_runs_jobs_in_process(tmp_path):
    marker = tmp_path / "marker.txt"
    result = write_marker.enqueue(str(marker), "in-process")
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == "in-process"
    assert marker.read_text().splitlines() == ["in-process", str(os.getpid())]


def _worker_env(tmp_path: Path, broker: str) -> dict[str, str]:
    return {
        **os.environ,
        "CELERY_BROKER_URL": broker,
        "QARYZ_DATA_DIR": str(tmp_path / "worker-data"),
        "QARYZ_KEY_DIR": str(tmp_path / "worker-keys"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "qaryz.settings",
        "QARYZ_LOG_JSON": "0",
    }


def _cleanup_queue(broker: str, queue: str) -> None:
    from kombu import Connection

    # Best effort: a leftover empty queue is harmless.
    with contextlib.suppress(Exception), Connection(broker, connect_timeout=5) as connection:
        connection.default_channel.queue_delete(queue)


@pytest.mark.services
@pytest.mark.xdist_group("celery")
@pytest.mark.parametrize("broker", [REDIS_BROKER, AMQP_BROKER], ids=["redis", "rabbitmq"])
def test_celery_worker_runs_enqueued_job(broker, tmp_path, settings):
    queue = f"qaryz-test-{uuid.uuid4().hex[:12]}"
    settings.TASKS = {
        "default": {
            "BACKEND": "qaryz.core.tasks_backend.CeleryBackend",
            "QUEUES": [queue],
            "OPTIONS": {"broker_url": broker},
        }
    }
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "qaryz",
                "worker",
                "--pool",
                "solo",
                "--concurrency",
                "1",
                "-Q",
                queue,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "INFO",
                "--hostname",
                f"{queue}@%h",
            ],
            cwd=ROOT,
            env=_worker_env(tmp_path, broker),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while "ready." not in log_path.read_text(errors="replace"):
            if worker.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Celery worker did not start:\n{log_path.read_text(errors='replace')}")
            time.sleep(0.2)

        marker = tmp_path / "marker.txt"
        result = write_marker.using(queue_name=queue).enqueue(str(marker), f"via {broker.split(':')[0]}")
        assert result.status == TaskResultStatus.READY  # handed over, not run here
        deadline = time.monotonic() + 30
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.exists(), log_path.read_text(errors="replace")
        text, pid = marker.read_text().splitlines()
        assert text == f"via {broker.split(':')[0]}"
        assert int(pid) == worker.pid != os.getpid()  # it ran in the worker process
        assert result.id in log_path.read_text(errors="replace")
    finally:
        worker.terminate()
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        _cleanup_queue(broker, queue)


def test_celery_backend_refuses_context_tasks(settings):
    from django_tasks import task
    from django_tasks.exceptions import InvalidTaskError

    settings.TASKS = {"default": {"BACKEND": "qaryz.core.tasks_backend.CeleryBackend"}}

    def needs_context(context):  # pragma: no cover – never runs
        return None

    with pytest.raises(InvalidTaskError):
        task(takes_context=True)(needs_context)


def _settings_in_subprocess(tmp_path: Path, extra_env: dict[str, str], code: str) -> str:
    env = {
        **os.environ,
        "QARYZ_DATA_DIR": str(tmp_path / "data"),
        "QARYZ_KEY_DIR": str(tmp_path / "keys"),
        "DJANGO_SETTINGS_MODULE": "qaryz.settings",
    }
    for name in ("REDIS_URL", "CELERY_BROKER_URL"):
        env.pop(name, None)
    env.update(extra_env)
    prelude = "import django; django.setup(); from django.conf import settings\n"
    done = subprocess.run(
        [sys.executable, "-c", prelude + code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_defaults_are_embedded(tmp_path):
    out = _settings_in_subprocess(
        tmp_path,
        {},
        "print(settings.CACHES['default']['BACKEND']); print(settings.TASKS['default']['BACKEND'])",
    )
    assert out.splitlines() == [
        "django.core.cache.backends.locmem.LocMemCache",
        "django_tasks.backends.immediate.ImmediateBackend",
    ]


@pytest.mark.services
def test_redis_url_switches_the_cache_to_redis(tmp_path):
    import redis

    key = f"qaryz-test-{uuid.uuid4().hex}"
    out = _settings_in_subprocess(
        tmp_path,
        {"REDIS_URL": "redis://127.0.0.1:6379/1", "CELERY_BROKER_URL": REDIS_BROKER},
        "from django.core.cache import cache\n"
        "print(settings.CACHES['default']['BACKEND']); print(settings.TASKS['default']['BACKEND'])\n"
        f"cache.set({key!r}, 'seen-in-redis', 60)\n",
    )
    assert out.splitlines() == [
        "django.core.cache.backends.redis.RedisCache",
        "qaryz.core.tasks_backend.CeleryBackend",
    ]
    client = redis.Redis.from_url("redis://127.0.0.1:6379/1")
    stored = list(client.scan_iter(match=f"*{key}*"))
    assert stored, "the value set through Django's cache is not in Redis"
    client.delete(*stored)
