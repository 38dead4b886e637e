"""Static analysis of the templates and the JavaScript (R-SDLC-2): ``python -m qaryz.assurance.web_scan OUT``.

Written before semgrep could run here; semgrep now runs in its own venv with the project's rules
(``data/semgrep``, ``semgrep_report``), and this scanner stays as the second engine for the two
languages (and the only one with T006). The rules that matter for this code base:

Django templates (``qaryz/**/templates/**/*.html``)
  T001 ``|safe`` – markup from a variable reaches the page unescaped (injection, XSS)
  T002 ``{% autoescape off %}`` – the same for a whole block
  T003 inline event handler (``onclick=`` …) – script in markup; the CSP forbids it, so it is also broken
  T004 inline ``<script>`` body – as T003
  T005 ``javascript:`` URL
  T006 a POST form without ``{% csrf_token %}`` (request forgery, R-SRV-1)
JavaScript (``qaryz/**/static/**/*.js``)
  J001 ``innerHTML`` / ``outerHTML`` assignment, ``insertAdjacentHTML`` (DOM XSS)
  J002 ``eval``, ``new Function``, a string passed to ``setTimeout`` / ``setInterval`` (dangerous functions)
  J003 ``document.write``
  J004 ``localStorage`` / ``sessionStorage`` / ``indexedDB`` (authorisation data is never stored in
       the browser, R-WEB-2 / R-AUTH-4)
  J005 ``postMessage`` with target ``"*"``

A reviewed exception carries ``scan: allow <RULE> <reason>`` on the same line (a template or JS
comment). Any other finding fails the gate (exit 1). Reports: ``web-scan.json`` and ``web-scan.md``.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

RULES: dict[str, tuple[str, re.Pattern[str], str]] = {
    "T001": ("html", re.compile(r"\|\s*safe\b"), "unescaped variable (|safe)"),
    "T002": ("html", re.compile(r"{%\s*autoescape\s+off\s*%}"), "autoescape off"),
    "T003": ("html", re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.S), "inline event handler"),
    "T004": ("html", re.compile(r"<script(?![^>]*\bsrc=)[^>]*>\s*\S", re.I), "inline script"),
    "T005": ("html", re.compile(r"javascript:", re.I), "javascript: URL"),
    "J001": (
        "js",
        re.compile(r"\.(?:inner|outer)HTML\s*[+]?=(?!=)|insertAdjacentHTML\s*\("),
        "HTML from a string",
    ),
    "J002": (
        "js",
        re.compile(r"(?<![\w.])eval\s*\(|new\s+Function\s*\(|set(?:Timeout|Interval)\s*\(\s*['\"`]"),
        "code from a string",
    ),
    "J003": ("js", re.compile(r"document\.write(?:ln)?\s*\("), "document.write"),
    "J004": ("js", re.compile(r"\b(?:localStorage|sessionStorage|indexedDB)\b"), "browser storage"),
    "J005": ("js", re.compile(r"postMessage\s*\([^)]*,\s*['\"]\*['\"]"), "postMessage to any origin"),
}
FORM = re.compile(r"<form\b[^>]*>.*?</form>", re.S | re.I)
POST = re.compile(r"method\s*=\s*['\"]?post", re.I)
ALLOW = re.compile(r"scan:\s*allow\s+([A-Z]\d{3})\s+[A-Za-z]")


@dataclass(frozen=True)
class Finding:
    rule: str
    path: str
    line: int
    text: str
    message: str


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _allowed(lines: list[str], line: int, rule: str) -> bool:
    return any(match.group(1) == rule for match in ALLOW.finditer(lines[line - 1]))


def scan_text(text: str, path: str, kind: str) -> list[Finding]:
    """Findings of one file; ``kind`` is "html" (a Django template) or "js"."""
    lines = text.splitlines() or [""]
    findings: list[Finding] = []
    for rule, (rule_kind, pattern, message) in RULES.items():
        if rule_kind != kind:
            continue
        for match in pattern.finditer(text):
            line = _line_of(text, match.start())
            if not _allowed(lines, line, rule):
                findings.append(Finding(rule, path, line, lines[line - 1].strip()[:160], message))
    if kind == "html":
        for form in FORM.finditer(text):
            opening = form.group(0).split(">", 1)[0]
            if POST.search(opening) and "csrf_token" not in form.group(0):
                line = _line_of(text, form.start())
                if not _allowed(lines, line, "T006"):
                    findings.append(
                        Finding(
                            "T006", path, line, lines[line - 1].strip()[:160], "POST form without csrf_token"
                        )
                    )
    return sorted(findings, key=lambda f: (f.path, f.line, f.rule))


def scan_tree(root: Path) -> tuple[list[Finding], int]:
    findings: list[Finding] = []
    count = 0
    for pattern, kind in (("qaryz/**/templates/**/*.html", "html"), ("qaryz/**/static/**/*.js", "js")):
        for path in sorted(root.glob(pattern)):
            if "/tests/" in path.as_posix() or path.name.endswith(".min.js"):
                continue
            count += 1
            findings += scan_text(path.read_text(encoding="utf-8"), path.relative_to(root).as_posix(), kind)
    return findings, count


def main(argv: list[str]) -> int:
    out_dir = Path(argv[1])
    root = Path(argv[2]) if len(argv) > 2 else Path.cwd()
    out_dir.mkdir(parents=True, exist_ok=True)
    findings, files = scan_tree(root)
    (out_dir / "web-scan.json").write_text(
        json.dumps({"files": files, "findings": [asdict(f) for f in findings]}, indent=2)
    )
    lines = [
        "# Template and JavaScript scan",
        "",
        f"{files} files (Django templates, JavaScript); rules {', '.join(RULES)}, T006.",
        f"- **findings (gate fails)**: {len(findings)}",
        "",
    ]
    lines += [f"- {f.rule} {f.path}:{f.line} – {f.message}: `{f.text}`" for f in findings]
    markdown = "\n".join(lines) + "\n"
    (out_dir / "web-scan.md").write_text(markdown)
    print(markdown)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
