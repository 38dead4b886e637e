"""Import a published AML/sanctions list file as a new list version; re-screens the portfolio."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from qaryz.compliance.listformats import ListFormatError
from qaryz.compliance.models import ScreeningList
from qaryz.compliance.services import ensure_list, import_list


class Command(BaseCommand):
    help = "Import a screening list file (CSV, FtM JSON, AFM XML, UN XML) as a new version of list CODE."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("code")
        parser.add_argument("path")
        parser.add_argument(
            "--format",
            choices=[f for f, _ in ScreeningList.Format.choices],
            help="needed when the list is new",
        )
        parser.add_argument("--name", default="")
        parser.add_argument("--kind", choices=[k for k, _ in ScreeningList.Kind.choices], default="sanctions")

    def handle(self, *args: object, **options: object) -> None:
        code, path = str(options["code"]), Path(str(options["path"]))
        if not ScreeningList.objects.filter(code=code).exists():
            if not options["format"]:
                raise CommandError("new list: give --format " + "|".join(ScreeningList.Format.values))
            ensure_list(
                code, name=str(options["name"] or code), kind=str(options["kind"]), fmt=str(options["format"])
            )
        try:
            version = import_list(code, path.read_bytes(), file_name=path.name)
        except ListFormatError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        self.stdout.write(f"{version}: {version.entry_count} entries (current)\n")
