"""``manage.py reconcile_payouts [--older-than MINUTES]``: settle payouts the bank has not answered.

Pending or sent payouts older than N minutes (default ``QARYZ_PAYOUT_RECONCILE_AFTER_MINUTES``) are
asked about by their idempotency key: unknown to the bank → sent again with the same key; paid →
the loan is activated; failed → the payout is failed and the loan keeps waiting. Never pays twice.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from qaryz.servicing import payouts


class Command(BaseCommand):
    help = "Ask the payout bank about pending and sent payouts and settle them (never pays twice)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--older-than", type=int, default=None, help="minutes (default from settings)")

    def handle(self, *args, **options) -> None:
        counts = payouts.reconcile(older_than_minutes=options["older_than"])
        self.stdout.write(" ".join(f"{name}={value}" for name, value in counts.items()))
