"""Compliance matrix: requirement → implementing modules → citing tests → their last results.

Pure functions with no Django import, so that the parser and the report are fast to test:

- ``parse_requirements`` reads the project's copy of the requirement list
  (``docs/requirements/REQUIREMENTS.md``): ID, title, source clause, section;
- ``collect_markers`` reads ``@pytest.mark.req(...)`` from test files by parsing them (``ast``),
  never by importing or running them: module ``pytestmark``, class decorators and class
  ``pytestmark``, function decorators and ``pytest.param(..., marks=...)`` inside them;
- ``parse_junit`` reads pytest's JUnit XML of one run (one file per database phase);
- ``find_implementations`` greps the IDs in non-test code, templates, docs and deployment files;
- ``build_matrix`` joins them, ``render_csv`` / ``render_html`` write the report.
"""

from __future__ import annotations

import ast
import csv
import html
import io
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

# defusedxml: the JUnit files are our own, but the gate never uses xml.etree on files from disk.
from defusedxml import ElementTree

ID_PATTERN = re.compile(r"R-[A-Z0-9]+-\d+")
# "R-SDLC-1..4" or "R-SDLC-1–4" cites every ID of the range.
RANGE_PATTERN = re.compile(r"(R-[A-Z0-9]+-)(\d+)\s*(?:\.\.|–)\s*(\d+)(?!\d)")
ITEM_PATTERN = re.compile(r"^- \*\*(R-[A-Z0-9]+-\d+)\*\*\s*(?:\(([^)]*)\))?\s*(.*)$")
SECTION_PATTERN = re.compile(r"^##\s+(.*?)\s*(?:\(([^)]*)\))?\s*$")

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


@dataclass(frozen=True)
class Requirement:
    id: str
    title: str
    clause: str
    section: str


@dataclass(frozen=True)
class CitingTest:
    """One test function (all its parameter sets) and the requirement IDs it cites."""

    path: str  # relative to the project root, "qaryz/x/tests/test_y.py"
    cls: str  # "" for a module-level function
    name: str
    ids: frozenset[str]

    @property
    def nodeid(self) -> str:
        return "::".join(part for part in (self.path, self.cls, self.name) if part)

    @property
    def junit_key(self) -> tuple[str, str]:
        """(classname, name) as pytest writes them to JUnit XML, without parameter ids."""
        module = self.path.removesuffix(".py").replace("/", ".")
        return (f"{module}.{self.cls}" if self.cls else module, self.name)


@dataclass
class Row:
    requirement: Requirement
    implemented_in: list[str] = field(default_factory=list)
    tests: list[CitingTest] = field(default_factory=list)
    results: dict[str, dict[str, str]] = field(default_factory=dict)  # nodeid -> phase -> status
    organisational: str = ""

    @property
    def tally(self) -> str:
        """How many citing tests passed, failed, were skipped or not run (across the phases)."""
        counts = {PASSED: 0, FAILED: 0, SKIPPED: 0}
        for test in self.tests:
            statuses = set(self.results.get(test.nodeid, {}).values())
            if FAILED in statuses:
                counts[FAILED] += 1
            elif PASSED in statuses:
                counts[PASSED] += 1
            elif SKIPPED in statuses:
                counts[SKIPPED] += 1
        not_run = len(self.tests) - sum(counts.values())
        parts = [f"{n} {label}" for label, n in (*counts.items(), ("not run", not_run)) if n]
        return ", ".join(parts)

    @property
    def status(self) -> str:
        """covered | failing | not run | not covered | organisational."""
        statuses = [s for per_phase in self.results.values() for s in per_phase.values()]
        if FAILED in statuses:
            return "failing"
        if PASSED in statuses:
            return "covered"
        if self.tests:
            return "not run"
        if self.organisational:
            return "organisational"
        return "not covered"


# --- requirement list ----------------------------------------------------------------------


def parse_requirements(text: str) -> list[Requirement]:
    """Every ``- **R-…** (clause) title`` item; a missing clause falls back to the section's."""
    requirements: list[Requirement] = []
    section, section_clause = "", ""
    current: list[str] | None = None  # id, clause, title parts of the item being read

    def flush() -> None:
        if current is not None:
            title = " ".join(" ".join(current[2:]).split())
            requirements.append(Requirement(current[0], title, current[1], section))

    for line in text.splitlines():
        if line.startswith("## "):
            flush()
            current = None
            match = SECTION_PATTERN.match(line)
            section = match.group(1) if match else line[3:].strip()
            section_clause = (match.group(2) or "") if match else ""
            continue
        item = ITEM_PATTERN.match(line)
        if item:
            flush()
            current = [item.group(1), item.group(2) or section_clause, item.group(3)]
        elif current is not None and line.startswith("  ") and line.strip():
            current.append(line.strip())
        else:
            flush()
            current = None
    flush()
    seen: set[str] = set()
    for requirement in requirements:
        if requirement.id in seen:
            raise ValueError(f"requirement {requirement.id} is listed twice")
        seen.add(requirement.id)
    return requirements


def ids_in_text(text: str) -> set[str]:
    """IDs cited in free text, ranges such as ``R-SDLC-1..4`` expanded."""
    found = set(ID_PATTERN.findall(text))
    for prefix, start, end in RANGE_PATTERN.findall(text):
        low, high = int(start), int(end)
        if low < high <= low + 20:
            found.update(f"{prefix}{n}" for n in range(low, high + 1))
    return found


# --- test markers (AST, no import) ---------------------------------------------------------


def _is_req_mark(node: ast.AST) -> bool:
    """``pytest.mark.req`` or ``mark.req`` as the callee."""
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "req"
        and (
            (isinstance(node.value, ast.Attribute) and node.value.attr == "mark")
            or (isinstance(node.value, ast.Name) and node.value.id == "mark")
        )
    )


def _req_ids(node: ast.AST | None) -> set[str]:
    """IDs of every ``req(...)`` call anywhere inside an expression (lists, parametrize marks)."""
    ids: set[str] = set()
    if node is None:
        return ids
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and _is_req_mark(sub.func):
            for arg in sub.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    ids.add(arg.value)
    return ids


def _pytestmark(body: Iterable[ast.stmt]) -> set[str]:
    ids: set[str] = set()
    for statement in body:
        if (
            isinstance(statement, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in statement.targets)
            or (
                isinstance(statement, ast.AnnAssign)
                and isinstance(statement.target, ast.Name)
                and statement.target.id == "pytestmark"
            )
        ):
            ids |= _req_ids(statement.value)
    return ids


def _decorator_ids(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> set[str]:
    ids: set[str] = set()
    for decorator in node.decorator_list:
        ids |= _req_ids(decorator)
    return ids


def markers_in_source(source: str, rel_path: str) -> list[CitingTest]:
    """Every test function of one file (cited or not), with the IDs its marks give it."""
    tree = ast.parse(source, filename=rel_path)
    module_ids = _pytestmark(tree.body)
    tests: list[CitingTest] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test"):
            tests.append(CitingTest(rel_path, "", node.name, frozenset(module_ids | _decorator_ids(node))))
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            class_ids = module_ids | _decorator_ids(node) | _pytestmark(node.body)
            for member in node.body:
                if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef) and member.name.startswith(
                    "test"
                ):
                    ids = class_ids | _decorator_ids(member)
                    tests.append(CitingTest(rel_path, node.name, member.name, frozenset(ids)))
    return tests


def collect_markers(
    root: Path, test_globs: Iterable[str] = ("qaryz/**/tests/test_*.py",)
) -> list[CitingTest]:
    tests: list[CitingTest] = []
    for pattern in test_globs:
        for path in sorted(root.glob(pattern)):
            rel = path.relative_to(root).as_posix()
            tests.extend(markers_in_source(path.read_text(encoding="utf-8"), rel))
    return tests


# --- JUnit XML -----------------------------------------------------------------------------


def parse_junit(xml_text: str) -> dict[tuple[str, str], str]:
    """(classname, test name without parameters) → passed | failed | skipped."""
    seen: dict[tuple[str, str], set[str]] = {}
    root = ElementTree.fromstring(xml_text)
    for case in root.iter("testcase"):
        name = (case.get("name") or "").split("[", 1)[0]
        key = (case.get("classname") or "", name)
        tags = {child.tag for child in case}
        if tags & {"failure", "error"}:
            status = FAILED
        elif "skipped" in tags:
            status = SKIPPED
        else:
            status = PASSED
        seen.setdefault(key, set()).add(status)
    # a parametrised test: any failure fails it, one passing parameter set among skips passes it
    results: dict[tuple[str, str], str] = {}
    for key, statuses in seen.items():
        results[key] = FAILED if FAILED in statuses else PASSED if PASSED in statuses else SKIPPED
    return results


# --- implementation sites ------------------------------------------------------------------

IMPLEMENTATION_GLOBS = (
    "qaryz/**/*.py",
    "qaryz/**/templates/**/*.html",
    "qaryz/**/static/**/*.js",
    "qaryz/**/data/*.toml",
    "docs/*.md",
    "deploy/**/*",
    "scripts/*",
    "Dockerfile",
)


def find_implementations(root: Path, globs: Iterable[str] = IMPLEMENTATION_GLOBS) -> dict[str, list[str]]:
    """ID → sorted files outside the tests that cite it (code, templates, docs, deployment)."""
    sites: dict[str, set[str]] = {}
    seen: set[Path] = set()
    for pattern in globs:
        for path in root.glob(pattern):
            if path in seen or not path.is_file():
                continue
            seen.add(path)
            rel = path.relative_to(root).as_posix()
            if "/tests/" in rel or "/migrations/" in rel or rel.startswith("qaryz/assurance/"):
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            for requirement_id in ids_in_text(text):
                sites.setdefault(requirement_id, set()).add(rel)
    return {key: sorted(value) for key, value in sites.items()}


# --- organisational mapping ----------------------------------------------------------------


def parse_organisational(text: str) -> dict[str, str]:
    """``[R-ID] supported_by = "…"`` tables: requirement → the feature that supports it."""
    data = tomllib.loads(text)
    mapping: dict[str, str] = {}
    for key, value in data.items():
        if not ID_PATTERN.fullmatch(key) or not isinstance(value, dict) or not value.get("supported_by"):
            raise ValueError(f'organisational mapping: [{key}] needs supported_by = "…"')
        mapping[key] = str(value["supported_by"])
    return mapping


# --- the matrix ----------------------------------------------------------------------------


@dataclass
class Matrix:
    rows: list[Row]
    phases: list[str]
    unknown_ids: dict[str, list[str]]  # cited in tests but not in the requirement list

    @property
    def checkable(self) -> list[Row]:
        return [row for row in self.rows if not row.organisational]

    def count(self, status: str, rows: list[Row] | None = None) -> int:
        return sum(1 for row in (self.rows if rows is None else rows) if row.status == status)

    @property
    def coverage_percent(self) -> float:
        """Share of software-checkable requirements whose citing tests ran and all passed."""
        rows = self.checkable
        return 100.0 * self.count("covered", rows) / len(rows) if rows else 0.0

    @property
    def cited_percent(self) -> float:
        rows = self.checkable
        return 100.0 * sum(1 for row in rows if row.tests) / len(rows) if rows else 0.0

    def summary(self) -> str:
        checkable = self.checkable
        phases = ", ".join(self.phases) or "none found"
        return (
            f"compliance matrix: {len(self.rows)} requirements, {len(checkable)} software-checkable, "
            f"{len(self.rows) - len(checkable)} organisational\n"
            f"  covered by passing tests: {self.count('covered', checkable)}/{len(checkable)} "
            f"({self.coverage_percent:.1f} %); cited by tests: {self.cited_percent:.1f} %\n"
            f"  failing: {self.count('failing')}, cited but not run: {self.count('not run')}, "
            f"not covered: {self.count('not covered')}\n"
            f"  test results read: {phases}"
            + "".join(
                f"\n  {label}: {', '.join(ids)}"
                for label, ids in (
                    ("failing", [r.requirement.id for r in self.rows if r.status == "failing"]),
                    ("not covered", [r.requirement.id for r in self.rows if r.status == "not covered"]),
                )
                if ids
            )
        )


def build_matrix(
    requirements: list[Requirement],
    tests: list[CitingTest],
    results: Mapping[str, Mapping[tuple[str, str], str]],
    implementations: Mapping[str, list[str]],
    organisational: Mapping[str, str],
) -> Matrix:
    """``results`` maps a phase name ("sqlite", "postgres") to that run's parsed JUnit XML."""
    rows = {
        r.id: Row(r, list(implementations.get(r.id, [])), organisational=organisational.get(r.id, ""))
        for r in requirements
    }
    unknown: dict[str, list[str]] = {}
    for test in tests:
        for requirement_id in sorted(test.ids):
            row = rows.get(requirement_id)
            if row is None:
                unknown.setdefault(requirement_id, []).append(test.nodeid)
                continue
            row.tests.append(test)
            per_phase = {
                phase: run[test.junit_key] for phase, run in results.items() if test.junit_key in run
            }
            if per_phase:
                row.results[test.nodeid] = per_phase
    return Matrix(list(rows.values()), list(results), unknown)


# --- rendering -----------------------------------------------------------------------------

CSV_HEADER = [
    "id",
    "clause",
    "section",
    "title",
    "status",
    "tests_tally",
    "organisational",
    "implemented_in",
    "tests",
    "results",
]


def _results_text(row: Row, test: CitingTest) -> str:
    per_phase = row.results.get(test.nodeid)
    if not per_phase:
        return "not run"
    return ", ".join(f"{phase}: {status}" for phase, status in per_phase.items())


def render_csv(matrix: Matrix) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for row in matrix.rows:
        r = row.requirement
        writer.writerow(
            [
                r.id,
                r.clause,
                r.section,
                r.title,
                row.status,
                row.tally,
                row.organisational,
                " ".join(row.implemented_in),
                " ".join(t.nodeid for t in row.tests),
                " | ".join(f"{t.nodeid} ({_results_text(row, t)})" for t in row.tests),
            ]
        )
    return out.getvalue()


STATUS_COLOURS = {
    "covered": "#d7f0d7",
    "failing": "#f6c9c9",
    "not run": "#f3e6c0",
    "not covered": "#f6c9c9",
    "organisational": "#dde6f3",
}


def render_html(matrix: Matrix, generated: str, version: str) -> str:
    e = html.escape
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Qaryz {e(version)} compliance matrix</title>",
        "<style>body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem}table{border-collapse:collapse;width:100%}"
        "table{table-layout:fixed}td,th{border:1px solid #bbb;padding:.3rem;vertical-align:top;text-align:left;"
        "overflow-wrap:anywhere}th:nth-child(1){width:7%}th:nth-child(2){width:6%}th:nth-child(3){width:24%}"
        "th:nth-child(4){width:11%}th:nth-child(5){width:17%}"
        "code{font-size:12px}ul{margin:0;padding-left:1.1rem}</style></head><body>",
        f"<h1>Qaryz {e(version)}: compliance matrix</h1>",
        f"<p>Generated {e(generated)} by <code>manage.py compliance_matrix</code> from "
        "<code>docs/requirements/REQUIREMENTS.md</code>, the <code>@pytest.mark.req</code> markers of the "
        "tests and the JUnit results of the last test run.</p>",
        "<pre>" + e(matrix.summary()) + "</pre>",
        "<table><thead><tr><th>ID</th><th>clause</th><th>requirement</th><th>status</th>"
        "<th>implemented in</th><th>tests (last results)</th></tr></thead><tbody>",
    ]
    for row in matrix.rows:
        r = row.requirement
        status = row.status
        if row.organisational:
            status_text = (
                f"{status}: supported by {row.organisational}"
                if status == "organisational"
                else (f"{status} (organisational: supported by {row.organisational})")
            )
        else:
            status_text = status
        if row.tests:
            status_text += f" ({row.tally})"
        implemented = "".join(f"<li><code>{e(path)}</code></li>" for path in row.implemented_in) or "–"
        tests = (
            "".join(f"<li><code>{e(t.nodeid)}</code> – {e(_results_text(row, t))}</li>" for t in row.tests)
            or "–"
        )
        parts.append(
            f'<tr id="{e(r.id)}"><td><b>{e(r.id)}</b></td><td>{e(r.clause)}</td><td>{e(r.title)}</td>'
            f'<td style="background:{STATUS_COLOURS[status]}">{e(status_text)}</td>'
            f"<td><ul>{implemented}</ul></td><td><ul>{tests}</ul></td></tr>"
        )
    parts.append("</tbody></table>")
    if matrix.unknown_ids:
        parts.append("<h2>IDs cited by tests but absent from the requirement list</h2><ul>")
        for requirement_id, nodeids in sorted(matrix.unknown_ids.items()):
            parts.append(f"<li><b>{e(requirement_id)}</b>: {e(', '.join(nodeids))}</li>")
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
