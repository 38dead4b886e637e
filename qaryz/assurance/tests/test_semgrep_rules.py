"""The semgrep gate (R-SDLC-2: static analysis of Python, templates and JavaScript).

The rules run for real on the fixtures in ``semgrep/`` with the pinned semgrep of
``.venv-tools/semgrep`` (installed by ``scripts/security``, which ``scripts/test`` runs before the
tests; ``QARYZ_SEMGREP`` names another binary). Each ``ruleid: <rule>`` line must be reported by
that rule, nothing else may be reported, and every rule has both a bad and a good example.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from qaryz.assurance import semgrep_report

pytestmark = pytest.mark.req("R-SDLC-2")

ROOT = Path(__file__).resolve().parents[3]
RULES = ROOT / "qaryz/assurance/data/semgrep"
FIXTURES = Path(__file__).resolve().parent / "semgrep"
SEMGREP = Path(os.environ.get("QARYZ_SEMGREP", ROOT / ".venv-tools/semgrep/bin/semgrep"))
ANNOTATION = re.compile(r"\b(ruleid|ok):\s*([\w-]+(?:,\s*[\w-]+)*)")


def expected() -> tuple[set[tuple[str, int, str]], set[tuple[str, int, str]]]:
    """(must report, must not report) as (file, line, rule): an annotation (``ruleid: a, b``) names the next line."""
    bad: set[tuple[str, int, str]] = set()
    good: set[tuple[str, int, str]] = set()
    for path in sorted(FIXTURES.iterdir()):
        if path.suffix not in {".py", ".html", ".js"}:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for kind, rules in ANNOTATION.findall(line):
                for rule in rules.split(","):
                    (bad if kind == "ruleid" else good).add((path.name, number + 1, rule.strip()))
    return bad, good


@pytest.fixture(scope="module")
def findings(tmp_path_factory: pytest.TempPathFactory) -> set[tuple[str, int, str]]:
    if not SEMGREP.is_file():
        pytest.skip(f"semgrep not installed at {SEMGREP}: `bash scripts/security` installs it (CI does)")
    # A copy outside the repository: the project's .semgrepignore leaves tests/ out of the gate.
    target = tmp_path_factory.mktemp("semgrep") / "fixtures"
    shutil.copytree(FIXTURES, target)
    run = subprocess.run(
        [str(SEMGREP), "scan", "--config", str(RULES), "--metrics=off", "--disable-version-check"]
        + ["--no-rewrite-rule-ids", "--disable-nosem", "--quiet", "--json", str(target)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(run.stdout)
    assert report["errors"] == [], report["errors"]
    scanned = {Path(path).name for path in report["paths"]["scanned"]}
    assert {"bad.py", "settings.py", "page.html", "script.js"} <= scanned
    return {(Path(r["path"]).name, r["start"]["line"], r["check_id"]) for r in report["results"]}


def rule_ids() -> set[str]:
    return set(semgrep_report._rule_ids(ROOT))


def test_every_rule_has_a_bad_and_a_good_fixture():
    bad, good = expected()
    ids = rule_ids()
    assert len(ids) >= 20
    assert ids == {rule for _, _, rule in bad}, "a rule without a ruleid fixture (or a fixture for no rule)"
    assert ids == {rule for _, _, rule in good}, "a rule without an ok fixture"


def test_each_rule_reports_its_bad_lines(findings):
    bad, _ = expected()
    assert sorted(bad - findings) == []


def test_no_rule_reports_a_good_line_or_anything_unannotated(findings):
    bad, good = expected()
    assert sorted(findings & good) == []
    assert sorted(findings - bad) == []


def test_the_nosemgrep_comment_of_a_reviewed_exception_needs_the_rule_and_a_reason():
    rule = "django-csrf-exempt"
    reason = semgrep_report.reviewed_reason
    assert reason("@csrf_exempt  # nosemgrep: django-csrf-exempt – the bank's signed call", rule) == (
        "the bank's signed call"
    )
    assert (
        reason("@csrf_exempt  # nosemgrep: weak-hash, django-csrf-exempt signed call", rule) == "signed call"
    )
    assert reason("@csrf_exempt  # nosemgrep: django-csrf-exempt", rule) is None
    assert reason("@csrf_exempt  # nosemgrep: django-csrf-exempt –", rule) is None
    assert reason("@csrf_exempt  # nosemgrep", rule) is None
    assert reason("@csrf_exempt  # nosemgrep: weak-hash – other rule", rule) is None


def test_the_report_gates_on_findings_and_errors_not_on_reviewed_exceptions(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    (source / "views.py").write_text(
        "@csrf_exempt  # nosemgrep: django-csrf-exempt – signed webhook\n@csrf_exempt\n", encoding="utf-8"
    )

    def result(line: int) -> dict:
        return {
            "check_id": "django-csrf-exempt",
            "path": "views.py",
            "start": {"line": line},
            "extra": {"severity": "ERROR", "message": "csrf_exempt"},
        }

    out = tmp_path / "out"
    out.mkdir()
    (out / "semgrep.json").write_text(json.dumps({"results": [result(1)], "errors": []}))
    assert semgrep_report.main(["x", str(out), str(source)]) == 0
    assert "signed webhook" in (out / "semgrep.md").read_text()
    (out / "semgrep.json").write_text(json.dumps({"results": [result(1), result(2)], "errors": []}))
    assert semgrep_report.main(["x", str(out), str(source)]) == 1
    assert "views.py:2" in (out / "semgrep.md").read_text()
    errors = [{"level": "error", "type": "InvalidRuleSchemaError", "message": "bad rule"}]
    (out / "semgrep.json").write_text(json.dumps({"results": [], "errors": errors}))
    assert semgrep_report.main(["x", str(out), str(source)]) == 1
    (out / "semgrep.json").unlink()
    assert semgrep_report.main(["x", str(out), str(source)]) == 1
