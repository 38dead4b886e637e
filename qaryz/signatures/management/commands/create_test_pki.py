"""Create the demo/test PKI (NOT NCA RK): root, intermediate, OCSP responder, TSA, sample keys."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from qaryz.signatures import services
from qaryz.signatures.testpki import TestPki
from qaryz.signatures.testpki_gost import GostTestPki

SAMPLES = [
    # label, IIN, surname, given name, BIN, organisation, kind
    ("sample-individual", "880101300017", "ТЕСТОВ", "ТЕСТ", "", "", "good"),
    ("sample-legal", "880101300018", "ДИРЕКТОРОВ", "ДИРЕКТОР", "990140004654", "ТОО «Тест»", "good"),
    ("sample-revoked", "880101300019", "ОТОЗВАНОВ", "ТЕСТ", "", "", "revoked"),
    ("sample-expired", "880101300020", "ИСТЕКШИЙ", "ТЕСТ", "", "", "expired"),
]


class Command(BaseCommand):
    help = (
        "Create the test PKI under QARYZ_EDS_TEST_PKI_DIR (demo and tests only; never trusted in production)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dir", default=str(settings.EDS_TEST_PKI_DIR))
        parser.add_argument("--base-url", default=settings.EDS_TEST_PKI_URL)
        parser.add_argument("--force", action="store_true", help="replace an existing test PKI")
        parser.add_argument("--no-clients", action="store_true", help="do not issue keys to existing clients")

    def _samples(self, pki: TestPki) -> None:
        now = datetime.now(UTC)
        for label, iin, surname, given, bin_, org, kind in SAMPLES:
            if kind == "expired":
                key = pki.issue_client(
                    iin=iin,
                    surname=surname,
                    given_name=given,
                    label=label,
                    not_before=now - timedelta(days=400),
                    not_after=now - timedelta(days=35),
                )
            else:
                key = pki.issue_client(
                    iin=iin, surname=surname, given_name=given, bin=bin_, organisation=org, label=label
                )
            if kind == "revoked":
                pki.revoke(key.certificate)
            self.stdout.write(f"  {label}: serial {key.certificate.serial_number:x} ({kind})")

    def handle(self, *args: object, **options: object) -> None:
        directory = Path(str(options["dir"]))
        if TestPki.exists(directory):
            if not options["force"]:
                self.stdout.write(f"test PKI already exists in {directory} (use --force to replace it)")
                return
            if not (directory / "root.key").exists():
                raise CommandError(f"{directory} does not look like a test PKI; refusing to delete it")
            shutil.rmtree(directory)
        pki = TestPki.create(directory, base_url=str(options["base_url"]))
        self._samples(pki)
        # the GOST 2015 test PKI beside it (same samples, GOST 512-bit keys)
        gost_pki = GostTestPki.create(directory / services.GOST_SUBDIR, base_url=str(options["base_url"]))
        self.stdout.write(f"GOST test PKI in {gost_pki.directory}:")
        self._samples(gost_pki)
        services.reset_caches()
        if (
            not options["no_clients"]
            and Path(directory).resolve() == Path(settings.EDS_TEST_PKI_DIR).resolve()
        ):
            from qaryz.signatures.demo import issue_client_keys

            issue_client_keys(self.stdout)
        self.stdout.write(
            self.style.SUCCESS(f"test PKI created in {directory} (root: {pki.root.subject.rfc4514_string()})")
        )
