"""Rotate the vault's key-encryption key: new KEK, data keys re-wrapped, documents untouched."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from qaryz.records.services import rotate_kek


class Command(BaseCommand):
    help = "Create a new key-encryption key and re-wrap every document's data key with it."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--retire-old", action="store_true", help="remove KEKs no document uses any more from the keyring"
        )

    def handle(self, *args, retire_old: bool, **options) -> None:
        result = rotate_kek(retire_old=retire_old)
        self.stdout.write(
            f"New KEK {result['kek_id']}: {result['rewrapped']} data key(s) re-wrapped, "
            f"{result['field_keys']} column key(s) re-wrapped, "
            f"{result['retired']} old KEK(s) retired."
        )
