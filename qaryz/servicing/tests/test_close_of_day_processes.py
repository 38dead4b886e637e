"""The close of business in other processes: killed with SIGKILL in the middle of a run and rerun,
and partitioned over two Celery workers; both give exactly the ledger of one uninterrupted run.

The test database (committed: ``transaction=True``) is copied twice – a file for SQLite, a
template copy for PostgreSQL – and ``manage.py close_business_day`` runs on each copy."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from qaryz.servicing import close_of_day
from qaryz.servicing.close_of_day import STALL_ENV
from qaryz.servicing.models import Instalment
from qaryz.servicing.tests.copies import ROOT, copy_test_database
from qaryz.servicing.tests.factories import active_loan
from qaryz.servicing.tests.test_close_of_day import START, deposit

REDIS_BROKER = os.environ.get("QARYZ_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _portfolio(product) -> dt.date:
    """Three loans (one with an advance covering its first instalment); the target date lies past
    the first due date, so the run accrues, moves to overdue, queues notices and charges penalties."""
    loans = [active_loan(product, START) for _ in range(3)]
    first = Instalment.objects.get(loan=loans[1], number=1)
    deposit(loans[1], first.total, START + dt.timedelta(days=2), "proc")
    close_of_day.run(first.due_date - dt.timedelta(days=2), booking_date=START)  # in-process, committed
    return first.due_date + dt.timedelta(days=4)


def _finish(process: subprocess.Popen, timeout: float = 240) -> str:
    output, _ = process.communicate(timeout=timeout)
    text = output.decode(errors="replace")
    assert process.returncode == 0, text
    return text


@pytest.mark.django_db(transaction=True)
def test_kill_9_mid_run_then_rerun_gives_the_uninterrupted_ledger(lending_setup, tmp_path):
    target = _portfolio(lending_setup)
    reference, killed = copy_test_database(tmp_path), copy_test_database(tmp_path)
    try:
        args = ("close_business_day", "--date", target.isoformat(), "--chunk-size", "1", "--no-notice-job")
        _finish(reference.manage(*args))

        marker = tmp_path / "stalled"
        victim = killed.manage(*args, **{STALL_ENV: str(marker)})
        deadline = time.monotonic() + 180
        while not marker.exists():
            assert victim.poll() is None, victim.communicate()[0].decode(errors="replace")
            assert time.monotonic() < deadline, "the run never reached its second chunk"
            time.sleep(0.1)
        victim.send_signal(signal.SIGKILL)  # inside the open transaction of the second chunk
        victim.wait(30)
        assert victim.returncode == -signal.SIGKILL
        partial = killed.snapshot()
        closed = [row[3] for row in partial["loans"]]
        assert closed[0] > closed[1] == closed[2]  # the first chunk (one loan) committed, not the second
        assert partial != reference.snapshot()

        _finish(killed.manage(*args))
        assert killed.snapshot() == reference.snapshot()
        _finish(killed.manage("check_ledger"))
    finally:
        reference.drop()
        killed.drop()


def _redis_up() -> bool:
    from kombu import Connection

    try:
        with Connection(REDIS_BROKER, connect_timeout=3) as conn:
            conn.ensure_connection(max_retries=1)
        return True
    except Exception:  # any failure means: no broker here
        return False


@pytest.mark.services
@pytest.mark.xdist_group("celery")
@pytest.mark.django_db(transaction=True)
def test_two_celery_workers_give_the_one_process_ledger(lending_setup, tmp_path):
    if not _redis_up():
        pytest.skip("Redis not reachable")
    target = _portfolio(lending_setup)
    reference, spread = copy_test_database(tmp_path), copy_test_database(tmp_path)
    queue = f"qaryz-test-cob-{uuid.uuid4().hex[:10]}"
    extra = {"CELERY_BROKER_URL": REDIS_BROKER, "QARYZ_COB_QUEUE": queue}
    workers = []
    try:
        args = ("close_business_day", "--date", target.isoformat(), "--chunk-size", "1", "--no-notice-job")
        _finish(reference.manage(*args))
        for n in (1, 2):
            log = (tmp_path / f"worker{n}.log").open("wb")
            workers.append(
                (
                    subprocess.Popen(
                        [
                            sys.executable,
                            "-m",
                            "celery",
                            "-A",
                            "qaryz",
                            "worker",
                            "--pool",
                            "solo",
                            "-Q",
                            queue,
                            "--without-gossip",
                            "--without-mingle",
                            "--without-heartbeat",
                            "--loglevel",
                            "INFO",
                            "--hostname",
                            f"cob{n}-{queue}@%h",
                        ],
                        cwd=ROOT,
                        env=spread.env(**extra),
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    ),
                    tmp_path / f"worker{n}.log",
                )
            )
        deadline = time.monotonic() + 90
        for worker, log_path in workers:
            while "ready." not in log_path.read_text(errors="replace"):
                assert worker.poll() is None and time.monotonic() < deadline, log_path.read_text(
                    errors="replace"
                )
                time.sleep(0.2)
        _finish(spread.manage(*args, "--workers", **extra))
        assert spread.snapshot() == reference.snapshot()
        logs = [log_path.read_text(errors="replace") for _, log_path in workers]
        assert all("succeeded" in text for text in logs), logs  # both workers closed chunks
    finally:
        for worker, _ in workers:
            worker.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.wait(20)
            if worker.poll() is None:
                worker.kill()
        with contextlib.suppress(Exception):
            from kombu import Connection

            with Connection(REDIS_BROKER, connect_timeout=5) as connection:
                connection.default_channel.queue_delete(queue)
        reference.drop()
        spread.drop()
