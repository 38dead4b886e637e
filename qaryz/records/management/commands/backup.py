"""``manage.py backup FILE``: encrypted archive of database, vault and settings (R-BAK-1)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from qaryz.records.backup import BackupError, create_backup


class Command(BaseCommand):
    help = "Write a consistent, encrypted backup (database, vault objects, settings; not the keys)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument("--key-file", help="backup key (32 bytes); default KEY_DIR/backup.key")

    def handle(self, *args, file: str, key_file: str | None, **options) -> None:
        try:
            manifest = create_backup(Path(file), key_file=Path(key_file) if key_file else None)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        head = manifest["settings"]["audit_head"] or {"seq": 0}
        self.stdout.write(
            f"Backup written to {file}: {manifest['database']['vendor']} database, "
            f"{manifest['vault_objects']} vault object(s), audit trail up to #{head['seq']}."
        )
