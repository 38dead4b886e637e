"""The semgrep gate's verdict (R-SDLC-2): ``python -m qaryz.assurance.semgrep_report OUT [ROOT]``.

``scripts/security`` runs the pinned semgrep (its own venv, ``.venv-tools/semgrep``) with the
project's rules (``qaryz/assurance/data/semgrep/*.yml``) over the Python code, the Django templates
and the JavaScript, with ``--disable-nosem`` so that every finding reaches ``OUT/semgrep.json``.
This module reads that file and decides:

- a finding is a **reviewed exception** when its first line carries ``nosemgrep: <rule-id>`` with a
  reason after the id (``# nosemgrep: django-csrf-exempt – the bank's signed call``); a bare
  ``nosemgrep`` or one without a reason does not count;
- every other finding fails the gate, whatever its severity (every rule is ERROR today; a WARNING
  rule would gate too), and so does any semgrep error (a rule or a file it could not read).

Report: ``OUT/semgrep.md``; exit 1 when the gate fails.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

NOSEM = re.compile(r"nosemgrep:\s*(?P<ids>[\w.-]+(?:\s*,\s*[\w.-]+)*)(?P<rest>.*)")
REASON = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True)
class Finding:
    rule: str
    path: str
    line: int
    severity: str
    message: str
    text: str


def reviewed_reason(line: str, rule: str) -> str | None:
    """The reason of a ``nosemgrep: <rule>`` exception on ``line``, or None when there is none."""
    for match in NOSEM.finditer(line):
        ids = {part.strip() for part in match.group("ids").split(",")}
        if rule not in ids and not any(rule.endswith("." + item) for item in ids):
            continue
        reason = match.group("rest").strip(" \t–—-:#")
        if REASON.search(reason):
            return reason
    return None


def _source_line(root: Path, path: str, line: int) -> str:
    try:
        lines = (root / path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    return lines[line - 1] if 0 < line <= len(lines) else ""


def verdict(report: dict, root: Path) -> tuple[list[Finding], list[tuple[Finding, str]], list[str]]:
    """(gating findings, reviewed exceptions with their reasons, semgrep errors) of a JSON report."""
    gating: list[Finding] = []
    reviewed: list[tuple[Finding, str]] = []
    for result in report.get("results", []):
        line = int(result["start"]["line"])
        source = _source_line(root, result["path"], line)
        finding = Finding(
            rule=result["check_id"],
            path=result["path"],
            line=line,
            severity=result["extra"].get("severity", ""),
            message=" ".join(result["extra"].get("message", "").split()).rstrip("."),
            text=source.strip()[:160],
        )
        reason = reviewed_reason(source, finding.rule)
        if reason is None:
            gating.append(finding)
        else:
            reviewed.append((finding, reason))
    errors = [
        f"{error.get('type', 'error')}: {' '.join(str(error.get('message', '')).split())[:300]}"
        for error in report.get("errors", [])
        if error.get("level", "error") == "error"
    ]
    gating.sort(key=lambda f: (f.path, f.line, f.rule))
    reviewed.sort(key=lambda item: (item[0].path, item[0].line))
    return gating, reviewed, errors


def main(argv: list[str]) -> int:
    out_dir = Path(argv[1])
    root = Path(argv[2]) if len(argv) > 2 else Path.cwd()
    source = out_dir / "semgrep.json"
    if not source.is_file():
        (out_dir / "semgrep.md").write_text("# semgrep\n\nno semgrep.json: semgrep did not run\n")
        print("semgrep.json missing: semgrep did not run", file=sys.stderr)
        return 1
    report = json.loads(source.read_text(encoding="utf-8"))
    gating, reviewed, errors = verdict(report, root)
    scanned = report.get("paths", {}).get("scanned", [])
    kinds = {
        "Python": sum(p.endswith(".py") for p in scanned),
        "templates": sum(p.endswith(".html") for p in scanned),
        "JavaScript": sum(p.endswith(".js") for p in scanned),
    }
    rules = sorted(set(_rule_ids(root)))
    lines = [
        "# semgrep (project rules: qaryz/assurance/data/semgrep)",
        "",
        f"semgrep {report.get('version', '?')}; {len(rules)} rules; {len(scanned)} files "
        f"({', '.join(f'{count} {kind}' for kind, count in kinds.items())}).",
        f"- **findings (gate fails)**: {len(gating)}",
        f"- reviewed exceptions (`nosemgrep: <rule> <reason>`): {len(reviewed)}",
        f"- semgrep errors (gate fails): {len(errors)}",
        "",
    ]
    if gating:
        lines += ["## Findings", ""]
        lines += [f"- {f.severity} `{f.rule}` {f.path}:{f.line} – {f.message}: `{f.text}`" for f in gating]
        lines.append("")
    if reviewed:
        lines += ["## Reviewed exceptions", ""]
        lines += [f"- `{f.rule}` {f.path}:{f.line} – {reason}" for f, reason in reviewed]
        lines.append("")
    if errors:
        lines += ["## Errors", ""] + [f"- {error}" for error in errors] + [""]
    lines += ["## Rules", ""] + [f"- `{rule}`" for rule in rules]
    markdown = "\n".join(lines) + "\n"
    (out_dir / "semgrep.md").write_text(markdown)
    print(markdown)
    return 1 if gating or errors else 0


def _rule_ids(root: Path) -> list[str]:
    """The rule ids of the project's rule files (their ``- id:`` lines; no YAML parser needed)."""
    ids: list[str] = []
    for path in sorted((root / "qaryz/assurance/data/semgrep").glob("*.yml")):
        ids += re.findall(r"^\s*- id:\s*([\w.-]+)", path.read_text(encoding="utf-8"), re.M)
    return ids


if __name__ == "__main__":
    sys.exit(main(sys.argv))
