"""Load demo data where missing: each room contributes through an optional ``demo.load_demo``.

Idempotent: running it twice changes nothing the second time. Prints the demo credentials.
"""

from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

# Rooms whose demo data must come after every other room's: the antifraud demo activates a rule
# set, which would otherwise hold the other demos' applications and signings (shared demo IBAN).
LAST = ("qaryz.antifraud",)


class Command(BaseCommand):
    help = "Load demo data (MFO profile, staff per role, products, demo clients) where missing."

    def handle(self, *args: object, **options: object) -> None:
        apps = [a for a in settings.QARYZ_APPS if a not in LAST] + [
            a for a in LAST if a in settings.QARYZ_APPS
        ]
        for app in apps:
            try:
                module = import_module(f"{app}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app}.demo":
                    raise
                continue
            with transaction.atomic():
                module.load_demo(self.stdout)
