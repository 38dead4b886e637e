"""Close the business day(s): ``python manage.py close_business_day [--date D] [--workers]``.

Without ``--date`` the run closes yesterday (a nightly run after midnight closes the day that
ended). Missed days before it are caught up, day by day. A progress bar is shown on a terminal.
"""

from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError

from qaryz.servicing import close_of_day


class Command(BaseCommand):
    help = "Accrue interest and penalties, move what fell due to overdue, close repaid loans (set-based SQL)."
    requires_system_checks: list[str] = []  # a nightly job: start fast, checks belong to deploys

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", help="business day to close through, YYYY-MM-DD (default: yesterday)")
        parser.add_argument("--chunk-size", type=int, default=None, help="loan ids per chunk transaction")
        parser.add_argument(
            "--workers",
            action="store_true",
            help="hand the chunks to the job workers (Celery in production) and wait for them",
        )
        parser.add_argument(
            "--no-notice-job",
            action="store_true",
            help="queue the delay notices but do not start the job that sends them (a later run sends them)",
        )

    def handle(
        self, *args, date: str | None, chunk_size: int | None, workers: bool, no_notice_job: bool, **options
    ) -> None:
        try:
            target = dt.date.fromisoformat(date) if date else close_of_day.default_date()
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from exc
        if chunk_size is not None and chunk_size < 1:
            raise CommandError("--chunk-size must be at least 1")
        progress = close_of_day.text_progress(self.stderr._out)
        started = time.perf_counter()
        runner = close_of_day.run_distributed if workers else close_of_day.run
        rows = runner(target, size=chunk_size, progress=progress, send_notices=not no_notice_job)
        elapsed = time.perf_counter() - started
        if not rows:
            self.stdout.write(f"Nothing to close: every active loan is closed through {target}.")
            return
        for row in rows:
            figures = ", ".join(f"{key} {value}" for key, value in sorted(row.figures.items()))
            self.stdout.write(f"{row.date}: {row.loans} loans; {figures}")
        self.stdout.write(f"Closed {len(rows)} day(s) through {target} in {elapsed:.2f} s")
        if options.get("verbosity", 1) >= 2:
            for label, seconds in sorted(close_of_day.TIMINGS.items(), key=lambda item: -item[1]):
                self.stdout.write(f"  {seconds:8.3f} s  {label}")
