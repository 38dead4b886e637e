"""Dependency vulnerability gate (R-SDLC-3, R-SDLC-4): ``python -m qaryz.core.security_audit LOCK OUT``.

Runs pip-audit on the hash-locked requirements and writes ``dependency-audit.json`` and
``dependency-audit.md`` to OUT. Any known vulnerability fails the gate (exit 1): a release with a
known-vulnerable dependency does not go live. A dependency pip-audit could not check (no
vulnerability data reachable, as on the project's build machines) is reported as
"vulnerability data unavailable" – never as clean – and the SBOM beside the report lets the same
inventory be audited where the data is reachable.
"""

from __future__ import annotations

import json

# pip-audit runs from this virtual environment with a fixed argument list and no shell.
import subprocess  # nosec B404
import sys
from datetime import UTC, datetime
from pathlib import Path


def run_pip_audit(lock_file: str) -> dict:
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "-r",
        lock_file,
        "--no-deps",
        "--disable-pip",
        "--format",
        "json",
        "--progress-spinner",
        "off",
    ]
    try:
        completed = subprocess.run(  # noqa: S603  # nosec B603
            command, capture_output=True, text=True, timeout=600, check=False
        )
    except subprocess.TimeoutExpired:
        return {"dependencies": [], "error": "pip-audit timed out"}
    try:
        return json.loads(completed.stdout or "{}")
    except json.JSONDecodeError:
        return {"dependencies": [], "error": (completed.stderr or "pip-audit gave no JSON")[-2000:]}


def summarise(report: dict) -> tuple[list[dict], list[dict], list[dict]]:
    """Split pip-audit's answer into (vulnerable, audited-clean, not-audited) dependencies."""
    vulnerable, clean, unaudited = [], [], []
    for dep in report.get("dependencies", []):
        if dep.get("skip_reason"):
            unaudited.append(dep)
        elif dep.get("vulns"):
            vulnerable.append(dep)
        else:
            clean.append(dep)
    return vulnerable, clean, unaudited


def render_markdown(
    vulnerable: list[dict], clean: list[dict], unaudited: list[dict], error: str | None
) -> str:
    lines = [
        "# Dependency audit",
        "",
        f"Generated {datetime.now(UTC).isoformat(timespec='seconds')} by pip-audit on requirements/lock.txt.",
        "",
        f"- known vulnerabilities: {sum(len(d['vulns']) for d in vulnerable)} in {len(vulnerable)} package(s)",
        f"- audited, no known vulnerability: {len(clean)}",
        f"- **not audited – vulnerability data unavailable**: {len(unaudited)}",
        "",
    ]
    if error:
        lines += [f"pip-audit error: `{error.strip()}`", ""]
    if vulnerable:
        lines += ["## Vulnerable (release blocked)", ""]
        for dep in vulnerable:
            for vuln in dep["vulns"]:
                fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
                lines.append(f"- {dep['name']} {dep.get('version', '')}: {vuln['id']} (fixed in {fixes})")
        lines.append("")
    if unaudited:
        lines += ["## Not audited (vulnerability data unavailable)", ""]
        lines += [f"- {dep['name']}: {dep['skip_reason']}" for dep in unaudited]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    lock_file, out_dir = argv[1], Path(argv[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    report = run_pip_audit(lock_file)
    vulnerable, clean, unaudited = summarise(report)
    (out_dir / "dependency-audit.json").write_text(json.dumps(report, indent=2, sort_keys=True))
    markdown = render_markdown(vulnerable, clean, unaudited, report.get("error"))
    (out_dir / "dependency-audit.md").write_text(markdown)
    print(markdown.split("\n## ")[0])
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
