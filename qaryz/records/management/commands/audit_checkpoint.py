"""Sign the current head of the audit chain and export it (R-AUD-1).

Run it periodically (cron/systemd timer or the ``checkpoint_audit_trail`` task) and keep the
exported files away from the database (another system, WORM storage, the regulator, e-mail).
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand

from qaryz.records import crypto
from qaryz.records.checkpoints import export_checkpoint
from qaryz.records.services import create_checkpoint, signing_key


class Command(BaseCommand):
    help = "Create a signed audit checkpoint and print (or write) it as JSON."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", "-o", help="write the exported checkpoint to this file")

    def handle(self, *args, output: str | None, **options) -> None:
        checkpoint = create_checkpoint()
        pem = crypto.public_key_pem(signing_key().private_key().public_key())
        text = json.dumps(export_checkpoint(checkpoint, pem), indent=1)
        if output:
            Path(output).write_text(text)
            self.stdout.write(f"Checkpoint at record #{checkpoint.seq} written to {output}")
        else:
            self.stdout.write(text)
