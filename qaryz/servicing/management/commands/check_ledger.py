"""``python manage.py check_ledger``: recompute every cached loan figure from the transfers.

Set-based (one GROUP BY over the journal, one query per kind of check); prints each difference
and exits non-zero if there is any.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from qaryz.servicing import ledger_check


class Command(BaseCommand):
    help = (
        "Recompute cached loan balances and schedule sums from the ledger; non-zero exit on any difference."
    )

    def handle(self, *args, **options) -> None:
        count = 0
        for difference in ledger_check.differences():
            count += 1
            self.stdout.write(str(difference))
        if count:
            raise CommandError(f"{count} difference(s) between the cached figures and the ledger")
        self.stdout.write("Ledger and cached figures agree.")
