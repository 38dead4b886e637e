"""``manage.py fetch_bank_statement [--since YYYY-MM-DD]``: read the MFO's bank statement of
incoming transfers through the incoming-bank port and post what names a loan (the rest goes to the
suspense account). Safe to run again: the bank's reference deduplicates every line."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from qaryz.servicing import repayments
from qaryz.servicing.payments_ports import StatementError


class Command(BaseCommand):
    help = "Fetch the bank statement of incoming transfers and post the payments (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--since", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD")

    def handle(self, *args, **options) -> None:
        try:
            result = repayments.fetch_statement(options["since"])
        except StatementError as exc:
            raise CommandError(f"the statement could not be read, nothing was posted: {exc}") from exc
        self.stdout.write(
            f"posted={len(result.posted)} suspense={len(result.unmatched)} refused={len(result.refused)}"
        )
