"""Walk the whole audit chain (R-AUD-1); exit non-zero naming the first broken record."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from qaryz.records.checkpoints import load_checkpoint
from qaryz.records.selectors import verify_trail


class Command(BaseCommand):
    help = "Verify the audit trail hash chain, optionally against exported signed checkpoints."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--checkpoint", action="append", default=[], help="exported checkpoint JSON (repeatable)"
        )
        parser.add_argument(
            "--public-key", help="MFO public key (PEM) obtained independently, to check the checkpoints with"
        )

    def handle(self, *args, checkpoint: list[str], public_key: str | None, **options) -> None:
        trusted = Path(public_key).read_text() if public_key else None
        pinned: dict[int, str] = {}
        for path in checkpoint:
            try:
                data = load_checkpoint(Path(path).read_text(), trusted_public_key_pem=trusted)
            except (ValueError, KeyError) as exc:
                raise CommandError(f"{path}: {exc}", returncode=2) from exc
            pinned[int(data["seq"])] = str(data["hash"])
        started = time.perf_counter()
        result = verify_trail(extra_checkpoints=pinned)
        elapsed = max(time.perf_counter() - started, 1e-9)
        self.stdout.write(
            f"Checked {result.checked} audit records in {elapsed:.3f} s ({result.checked / elapsed:,.0f} records/s)"
        )
        if pinned:
            self.stdout.write(f"Against {len(pinned)} exported checkpoint(s).")
        if not result.ok:
            broken = result.first_break
            raise CommandError(f"Audit trail BROKEN at record #{broken.seq}: {broken.reason}", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"Audit trail intact up to record #{result.last_seq}."))
