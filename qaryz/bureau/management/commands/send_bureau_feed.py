"""Send the daily credit-bureau feed: ``python manage.py send_bureau_feed [--date D] [--batch-size N]``.

Without ``--date`` the feed of yesterday is sent (run after the close of business of that day).
A second run for the same date sends nothing new; after a failure a rerun resumes.
"""

from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError

from qaryz.bureau import services
from qaryz.bureau.ports import BureauError


class Command(BaseCommand):
    help = "Generate (once per date, set-based) and send the daily credit-bureau feed."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("--date", help="business day reported, YYYY-MM-DD (default: yesterday)")
        parser.add_argument("--batch-size", type=int, default=None, help="records per batch")

    def handle(self, *args, date: str | None, batch_size: int | None, **options) -> None:
        try:
            day = dt.date.fromisoformat(date) if date else None
        except ValueError as exc:
            raise CommandError(f"--date: {exc}") from exc
        if batch_size is not None and batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        started = time.perf_counter()
        try:
            result = services.send_feed(day, batch_size=batch_size)
        except (services.NoResponsiblePerson, services.FeedNotReady) as exc:
            raise CommandError(str(exc)) from exc
        except BureauError as exc:
            raise CommandError(f"The bureau did not acknowledge the feed; rerun to resume: {exc}") from exc
        sent = result.sent
        self.stdout.write(
            f"{result.date}: {result.records} records ({'generated now' if result.generated else 'generated earlier'});"
            f" sent {sent.batches} batches, {sent.accepted} accepted, {sent.rejected} rejected"
            f" in {time.perf_counter() - started:.2f} s"
        )
