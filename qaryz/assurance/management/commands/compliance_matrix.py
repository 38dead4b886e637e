"""Write the compliance matrix (HTML and CSV) and print the coverage percentage."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from qaryz.assurance import matrix

APP_DIR = Path(__file__).resolve().parents[2]
PHASES = {"sqlite": "junit-sqlite.xml", "postgres": "junit-postgres.xml"}


def project_version(root: Path) -> str:
    with (root / "pyproject.toml").open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


README_START, README_END = "<!-- compliance-matrix:start -->", "<!-- compliance-matrix:end -->"


def update_readme(text: str, built: matrix.Matrix, generated: str) -> str:
    """Replace the block between the markers with the matrix's summary."""
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise ValueError(f"no {README_START} … {README_END} block")
    # An indented code block, not a fenced one: the README's only fenced block is the quick start.
    summary = "\n".join(f"    {line}" if line else "" for line in built.summary().splitlines())
    block = f"{README_START}\n\n{summary}\n\n(generated {generated})\n"
    return text[:start] + block + text[end:]


class Command(BaseCommand):
    help = (
        "Compliance matrix: requirement -> implementing modules -> citing tests -> last results. "
        "Writes compliance-matrix.html and .csv to --out (default var/security-reports/<version>)."
    )

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--root", default=str(settings.BASE_DIR), help="project root")
        parser.add_argument("--requirements", default="docs/requirements/REQUIREMENTS.md")
        parser.add_argument("--results", default="var/test-artifacts", help="folder of junit-<phase>.xml")
        parser.add_argument("--organisational", default=str(APP_DIR / "data" / "organisational.toml"))
        parser.add_argument("--out", default="", help="output folder")
        parser.add_argument(
            "--readme",
            default="",
            help="rewrite the figures between the compliance-matrix markers of this file (e.g. README.md)",
        )
        parser.add_argument(
            "--fail-under", type=float, default=None, help="exit 1 when coverage is below this percentage"
        )

    def handle(self, *args: object, **options: object) -> None:
        root = Path(str(options["root"])).resolve()
        requirements_path = root / str(options["requirements"])
        try:
            requirements = matrix.parse_requirements(requirements_path.read_text(encoding="utf-8"))
            organisational = matrix.parse_organisational(
                Path(str(options["organisational"])).read_text(encoding="utf-8")
            )
        except (OSError, ValueError, tomllib.TOMLDecodeError) as exc:
            raise CommandError(str(exc)) from exc
        if not requirements:
            raise CommandError(f"{requirements_path}: no requirement found")
        results: dict[str, dict[tuple[str, str], str]] = {}
        results_dir = root / str(options["results"])
        for phase, file_name in PHASES.items():
            path = results_dir / file_name
            if path.is_file():
                try:
                    results[phase] = matrix.parse_junit(path.read_text(encoding="utf-8"))
                except Exception as exc:  # a truncated file from an interrupted run
                    raise CommandError(f"{path}: not a JUnit XML file ({exc})") from exc
        built = matrix.build_matrix(
            requirements,
            matrix.collect_markers(root),
            results,
            matrix.find_implementations(root),
            organisational,
        )
        version = project_version(root)
        out = Path(str(options["out"])) if options["out"] else root / "var" / "security-reports" / version
        if not out.is_absolute():
            out = root / out
        out.mkdir(parents=True, exist_ok=True)
        generated = datetime.now(UTC).isoformat(timespec="seconds")
        (out / "compliance-matrix.csv").write_text(matrix.render_csv(built), encoding="utf-8")
        (out / "compliance-matrix.html").write_text(
            matrix.render_html(built, generated, version), encoding="utf-8"
        )
        self.stdout.write(built.summary() + "\n")
        for requirement_id, nodeids in sorted(built.unknown_ids.items()):
            self.stdout.write(f"  unknown ID {requirement_id} cited by {', '.join(nodeids)}\n")
        self.stdout.write(f"  written to {out}/compliance-matrix.html and .csv\n")
        if options["readme"]:
            readme = root / str(options["readme"])
            try:
                readme.write_text(
                    update_readme(readme.read_text(encoding="utf-8"), built, generated), encoding="utf-8"
                )
            except (OSError, ValueError) as exc:
                raise CommandError(f"{readme}: {exc}") from exc
            self.stdout.write(f"  figures updated in {readme}\n")
        fail_under = options["fail_under"]
        if fail_under is not None and built.coverage_percent < float(str(fail_under)):
            raise CommandError(f"coverage {built.coverage_percent:.1f} % is below {fail_under} %")
