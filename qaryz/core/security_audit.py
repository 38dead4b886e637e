"""Dependency vulnerability gate (R-SDLC-3, R-SDLC-4): ``python -m qaryz.core.security_audit LOCK OUT``.

Runs pip-audit on the hash-locked requirements and writes ``dependency-audit.json`` and
``dependency-audit.md`` to OUT. Any known vulnerability fails the gate (exit 1): a release with a
known-vulnerable dependency does not go live. A dependency pip-audit could not check (no
vulnerability data reachable, as on the project's build machines) is reported as
"vulnerability data unavailable" – never as clean – and the SBOM beside the report lets the same
inventory be audited where the data is reachable.

Second source: pip-audit asks PyPI's per-release JSON (``/pypi/<name>/<version>/json``), which the
project's build machines cannot reach (404 through their package index), while the project JSON
(``/pypi/<name>/json``) is reachable. Its ``vulnerabilities`` field lists the advisories affecting
the project's *latest* release only. So a dependency pip-audit skipped is audited from it when the
locked version is that latest release (a real verdict: vulnerable, or no known vulnerability); a
dependency pinned to an older release stays "not audited" with the reason, and so does every
dependency when PyPI cannot be reached (``QARYZ_AUDIT_OFFLINE=1`` skips the look-up). A network
failure never fails the gate and never counts as clean.
"""

from __future__ import annotations

import json
import os
import re

# pip-audit runs from this virtual environment with a fixed argument list and no shell.
import subprocess  # nosec B404
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
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


PYPI_JSON_URL = "https://pypi.org/pypi"  # QARYZ_AUDIT_PYPI_URL overrides (a mirror, a test server)
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]+\])?==([^\s;\\]+)", re.M)


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def locked_versions(lock_text: str) -> dict[str, str]:
    """Normalised package name → pinned version, from a pip-compile/uv lock file."""
    return {normalise(name): version for name, version in PIN.findall(lock_text)}


def fetch_pypi_projects(names: Iterable[str], timeout: float = 10.0) -> dict[str, dict | None]:
    """PyPI project JSON per name; None where it could not be had. One probe first: when PyPI is
    unreachable the whole look-up costs one timeout, not one per dependency."""
    import httpx

    names = list(names)
    results: dict[str, dict | None] = dict.fromkeys(names)
    if not names or os.environ.get("QARYZ_AUDIT_OFFLINE") == "1":
        return results
    base_url = os.environ.get("QARYZ_AUDIT_PYPI_URL", PYPI_JSON_URL).rstrip("/")
    with httpx.Client(timeout=timeout, follow_redirects=True) as client:

        def get(name: str) -> dict | None:
            try:
                return fetch(name)
            except httpx.HTTPError:
                return None

        def fetch(name: str) -> dict | None:
            response = client.get(f"{base_url}/{name}/json")
            if response.status_code != 200:
                return None
            try:
                return response.json()
            except ValueError:
                return None

        try:  # the probe: a transport failure here means PyPI is out of reach
            results[names[0]] = fetch(names[0])
        except httpx.HTTPError:
            return results
        with ThreadPoolExecutor(max_workers=8) as pool:
            for name, data in zip(names[1:], pool.map(get, names[1:]), strict=True):
                results[name] = data
    return results


def _same_version(a: str, b: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def audit_from_project_json(name: str, version: str, project: dict | None) -> dict:
    """One dependency in pip-audit's shape, judged from PyPI's project JSON."""
    if project is None:
        return {
            "name": name,
            "version": version,
            "skip_reason": "vulnerability data unavailable (pip-audit's service and PyPI's project JSON not reachable)",
        }
    latest = str(project.get("info", {}).get("version", ""))
    if not latest or not _same_version(latest, version):
        return {
            "name": name,
            "version": version,
            "skip_reason": (
                f"pinned {version}; PyPI's advisory data reachable here covers only the latest release "
                f"{latest or '(unknown)'}"
            ),
        }
    vulns = [
        {
            "id": vuln.get("id", ""),
            "fix_versions": list(vuln.get("fixed_in") or []),
            "aliases": list(vuln.get("aliases") or []),
            "description": vuln.get("summary") or vuln.get("details") or "",
        }
        for vuln in project.get("vulnerabilities") or []
        if not vuln.get("withdrawn")
    ]
    return {"name": name, "version": version, "vulns": vulns, "source": "pypi-project-json"}


def supplement_from_pypi(
    report: dict,
    lock_text: str,
    fetch: Callable[[Iterable[str]], dict[str, dict | None]] | None = None,
) -> dict:
    """Replace the dependencies pip-audit skipped by a verdict from PyPI's project JSON where one exists."""
    versions = locked_versions(lock_text)
    skipped = [dep for dep in report.get("dependencies", []) if dep.get("skip_reason")]
    if not skipped:
        return report
    projects = (fetch or fetch_pypi_projects)([dep["name"] for dep in skipped])
    judged = {}
    for dep in skipped:
        version = dep.get("version") or versions.get(normalise(dep["name"]), "")
        if not version:
            continue
        judged[dep["name"]] = audit_from_project_json(dep["name"], version, projects.get(dep["name"]))
    return {
        **report,
        "dependencies": [
            judged.get(dep["name"], dep) if dep.get("skip_reason") else dep for dep in report["dependencies"]
        ],
    }


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
        f"Generated {datetime.now(UTC).isoformat(timespec='seconds')} by pip-audit on requirements/lock.txt;",
        "dependencies pip-audit could not check are judged from PyPI's project JSON where the locked",
        "version is the latest release (its advisories cover that release only).",
        "",
        f"- known vulnerabilities: {sum(len(d['vulns']) for d in vulnerable)} in {len(vulnerable)} package(s)",
        f"- audited, no known vulnerability: {len(clean)}"
        f" ({sum(1 for d in clean if d.get('source') == 'pypi-project-json')} of them from PyPI's project JSON)",
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
    report = supplement_from_pypi(run_pip_audit(lock_file), Path(lock_file).read_text(encoding="utf-8"))
    vulnerable, clean, unaudited = summarise(report)
    (out_dir / "dependency-audit.json").write_text(json.dumps(report, indent=2, sort_keys=True))
    markdown = render_markdown(vulnerable, clean, unaudited, report.get("error"))
    (out_dir / "dependency-audit.md").write_text(markdown)
    print(markdown.split("\n## ")[0])
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
