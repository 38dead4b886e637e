"""``manage.py check_fraud_deadlines [--date D]``: flag fraud-victim cases whose open step is overdue."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandParser

from qaryz.fraudcases.services import flag_overdue_steps


class Command(BaseCommand):
    help = "Flag fraud-victim cases whose suspension or verdict measures are past their deadline."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=dt.date.fromisoformat, default=None, help="today (YYYY-MM-DD)")

    def handle(self, *args: object, **options: object) -> None:
        counts = flag_overdue_steps(options["date"])  # type: ignore[arg-type]
        self.stdout.write(
            f"suspension overdue: {counts['suspension_overdue']}, "
            f"verdict measures overdue: {counts['verdict_measures_overdue']}"
        )
