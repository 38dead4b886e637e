"""Check a receipt (JSON, or the PDF that embeds it) against the MFO's public key (R-RCPT-1)."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from qaryz.records import crypto
from qaryz.records.receipts import verify_receipt_json


def receipt_text(path: Path) -> bytes:
    data = path.read_bytes()
    if not data.startswith(b"%PDF"):
        return data
    # The PDF carries the signed JSON as an embedded file (receipt.json), Flate-compressed.
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        chunk = match.group(1)
        for candidate in (chunk, _inflate(chunk)):
            if candidate and candidate.lstrip().startswith(b"{") and b'"receipt"' in candidate:
                return candidate
    raise ValueError("no embedded receipt.json in this PDF")


def _inflate(chunk: bytes) -> bytes | None:
    try:
        return zlib.decompress(chunk)
    except zlib.error:
        return None


class Command(BaseCommand):
    help = "Verify a Qaryz receipt (JSON or PDF) with the MFO's Ed25519 public key."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file")
        parser.add_argument(
            "--public-key",
            help="MFO public key PEM (from /api/v1/records/public-key); default: this installation's key",
        )

    def handle(self, *args, file: str, public_key: str | None, **options) -> None:
        if public_key:
            pem = Path(public_key).read_text()
        else:
            from qaryz.records.services import signing_key

            pem = crypto.public_key_pem(signing_key().private_key().public_key())
        try:
            payload = verify_receipt_json(receipt_text(Path(file)), pem)
        except (ValueError, KeyError) as exc:
            raise CommandError(f"Receipt NOT valid: {exc}", returncode=1) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Receipt valid: document {payload['document_id']} sha256 {payload['sha256']} "
                f"{payload['direction']} via {payload['channel']} at {payload['time']}"
            )
        )
