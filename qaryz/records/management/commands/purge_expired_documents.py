"""Daily job: delete documents past their retention end unless on legal hold (R-ARCH-1)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from qaryz.records.services import purge_expired_documents


class Command(BaseCommand):
    help = "Delete vault documents whose retention period ended (one audit event per deletion)."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"{purge_expired_documents()} expired document(s) deleted.")
