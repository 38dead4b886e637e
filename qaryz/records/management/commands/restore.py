"""``manage.py restore FILE``: bring up a working copy from a backup archive (R-BAK-1).

Needs the same key directory (KEK keyring, signing key, backup key) restored first.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from qaryz.records.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = "Restore database and vault objects from a backup archive, then verify them."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--key-file", help="backup key (32 bytes); default KEY_DIR/backup.key")
        parser.add_argument("--yes", action="store_true", help="do not ask before replacing the current data")

    def handle(self, *args, file: str, key_file: str | None, yes: bool, **options) -> None:
        if not yes and input("This replaces the current database and vault objects. Type 'yes': ") != "yes":
            raise CommandError("Restore cancelled.")
        try:
            result = restore_backup(Path(file), key_file=Path(key_file) if key_file else None)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        check = result["check"]
        self.stdout.write(
            f"Restored {result['vault_objects']} vault object(s); audit trail: {check['audit_records']} records "
            f"{'verified' if check['audit_ok'] else 'BROKEN ' + str(check['audit_break'])}; "
            f"{check['documents']} document(s), {len(check['documents_failed'])} failed to decrypt."
        )
        if not check["audit_ok"] or check["documents_failed"]:
            raise CommandError("The restored copy did not pass its checks.", returncode=1)
