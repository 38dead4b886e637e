"""``manage.py resend_afc_reports [--older-than MINUTES]``: send again the reports to the NBRK
antifraud centre still pending (default age ``QARYZ_AFC_RESEND_AFTER_MINUTES``); the beat job
``resend-afc-reports`` does the same every 15 minutes."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from qaryz.antifraud.services import resend_reports


class Command(BaseCommand):
    help = "Send again the reports to the NBRK antifraud centre that are still pending."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--older-than", type=int, default=None, help="minutes (default from settings)")

    def handle(self, *args, **options) -> None:
        counts = resend_reports(older_than_minutes=options["older_than"])
        self.stdout.write(" ".join(f"{name}={value}" for name, value in counts.items()))
