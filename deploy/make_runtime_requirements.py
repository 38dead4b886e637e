"""Write deploy/requirements-runtime.txt: the entries of requirements/lock.txt the runtime needs.

    .venv/bin/python deploy/make_runtime_requirements.py

uv resolves the runtime dependencies of pyproject.toml (no dev extra) under the lock as a
constraint; the entries – versions and hashes – are then copied verbatim from requirements/lock.txt,
so the production image installs exactly the locked artifacts and nothing the lock does not know.
"""

from __future__ import annotations

import re

# uv runs with a fixed argument list and no shell.
import subprocess  # nosec B404
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "lock.txt"
OUT = ROOT / "deploy" / "requirements-runtime.txt"
ENTRY = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]+\])?==", re.M)


def lock_entries(text: str) -> dict[str, str]:
    """Package name (lower case) → its whole entry (pin, hashes, comments) in the lock."""
    entries: dict[str, str] = {}
    starts = list(ENTRY.finditer(text))
    for index, match in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(text)
        entries[match.group(1).lower()] = text[match.start() : end].rstrip() + "\n"
    return entries


def main() -> int:
    uv = Path(sys.executable).with_name("uv")
    with tempfile.TemporaryDirectory() as tmp:
        resolved = Path(tmp) / "runtime.txt"
        subprocess.run(  # noqa: S603  # nosec B603
            [
                str(uv),
                "pip",
                "compile",
                "pyproject.toml",
                "--python-version",
                "3.11",
                "-q",
                "-c",
                str(LOCK),
                "-o",
                str(resolved),
            ],
            cwd=ROOT,
            check=True,
        )
        names = [m.group(1).lower() for m in ENTRY.finditer(resolved.read_text())]
    entries = lock_entries(LOCK.read_text())
    missing = [name for name in names if name not in entries]
    if missing:
        print(f"not in requirements/lock.txt: {', '.join(missing)}", file=sys.stderr)
        return 1
    header = (
        "# Runtime dependencies of the production image (Dockerfile): the entries of\n"
        "# requirements/lock.txt that pyproject.toml needs without the dev extra, copied verbatim.\n"
        "# Regenerate: .venv/bin/python deploy/make_runtime_requirements.py\n"
    )
    OUT.write_text(header + "".join(entries[name] for name in sorted(names)))
    print(f"{OUT.relative_to(ROOT)}: {len(names)} packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
