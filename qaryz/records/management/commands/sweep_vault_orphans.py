"""Delete (or list, with --dry-run) vault objects of rolled-back transactions."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from qaryz.records.services import sweep_orphan_objects


class Command(BaseCommand):
    help = (
        "Delete vault objects that no stored document names (left by rolled-back transactions) and "
        "that are older than the grace period; --dry-run only lists them. Audited."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="list the orphans, delete nothing")
        parser.add_argument(
            "--grace-hours",
            type=float,
            default=None,
            help="only objects older than this (default QARYZ_VAULT_ORPHAN_GRACE_HOURS, at least 1)",
        )

    def handle(self, *args, dry_run: bool, grace_hours: float | None, **options) -> None:
        try:
            result = sweep_orphan_objects(
                grace=timedelta(hours=grace_hours) if grace_hours is not None else None, dry_run=dry_run
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for orphan in result.orphans:
            note = ""
            if "locked_until" in orphan:
                note = f"  locked until {orphan['locked_until']}"
            elif "error" in orphan:
                note = f"  NOT deleted: {orphan['error']}"
            self.stdout.write(f"{orphan['name']}  {orphan['size']} bytes  {orphan['modified']}{note}")
        verb = "would be deleted" if dry_run else "deleted"
        self.stdout.write(
            f"{result.scanned} object(s) scanned, {len(result.orphans)} orphan(s); "
            f"{len(result.orphans) if dry_run else result.deleted} {verb}"
            + (
                ""
                if dry_run
                else f" ({result.deleted_bytes} bytes), {result.locked} locked, {result.failed} failed"
            )
            + "."
        )
        if result.failed:
            raise CommandError(f"{result.failed} orphan object(s) could not be deleted (see the log)")
