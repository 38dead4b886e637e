"""``manage.py compliance_matrix`` on a small project tree and on the project itself."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

pytestmark = pytest.mark.req("R-SDLC-1")

ROOT = Path(__file__).resolve().parents[3]


def _project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "9.9.9"\n')
    (tmp_path / "docs" / "requirements").mkdir(parents=True)
    (tmp_path / "docs" / "requirements" / "REQUIREMENTS.md").write_text(
        "## 3. Authentication\n"
        "- **R-AUTH-2** (P2 §4.7) At most 3 wrong password attempts.\n"
        "- **R-AUTH-3** (P1 §19) Idle sessions end.\n"
        "- **R-SDLC-1** (§15) Documented process.\n"
        "- **R-CAB-1** (§7) Submit an application.\n"
    )
    room = tmp_path / "qaryz" / "access"
    (room / "tests").mkdir(parents=True)
    (room / "services.py").write_text("# lockout: R-AUTH-2\n")
    (room / "tests" / "test_lockout.py").write_text(
        "import pytest\n\n"
        '@pytest.mark.req("R-AUTH-2")\ndef test_lockout():\n    pass\n\n'
        '@pytest.mark.req("R-AUTH-3")\ndef test_idle():\n    pass\n'
    )
    (tmp_path / "var" / "test-artifacts").mkdir(parents=True)
    (tmp_path / "var" / "test-artifacts" / "junit-sqlite.xml").write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="qaryz.access.tests.test_lockout" name="test_lockout"/>'
        '<testcase classname="qaryz.access.tests.test_lockout" name="test_idle"><failure/></testcase>'
        "</testsuite></testsuites>"
    )
    (tmp_path / "org.toml").write_text('["R-SDLC-1"]\nsupported_by = "the release reports"\n')
    return tmp_path


def test_command_writes_html_and_csv_and_prints_coverage(tmp_path):
    root = _project(tmp_path)
    out = io.StringIO()
    call_command("compliance_matrix", root=str(root), organisational=str(root / "org.toml"), stdout=out)
    text = out.getvalue()
    assert "covered by passing tests: 1/3 (33.3 %)" in text
    assert "test results read: sqlite" in text
    report_dir = root / "var" / "security-reports" / "9.9.9"
    rows = {row["id"]: row for row in csv.DictReader((report_dir / "compliance-matrix.csv").open())}
    assert rows["R-AUTH-2"]["status"] == "covered"
    assert rows["R-AUTH-2"]["tests_tally"] == "1 passed"
    assert rows["R-AUTH-2"]["implemented_in"] == "qaryz/access/services.py"
    assert rows["R-AUTH-2"]["tests"] == "qaryz/access/tests/test_lockout.py::test_lockout"
    assert rows["R-AUTH-3"]["status"] == "failing"
    assert rows["R-CAB-1"]["status"] == "not covered"
    assert rows["R-SDLC-1"]["status"] == "organisational"
    page = (report_dir / "compliance-matrix.html").read_text()
    assert "organisational: supported by the release reports" in page
    assert "not covered" in page


def test_fail_under_and_bad_input_give_clear_errors(tmp_path):
    root = _project(tmp_path)
    with pytest.raises(CommandError, match=r"coverage 33\.3 % is below 50"):
        call_command(
            "compliance_matrix",
            root=str(root),
            organisational=str(root / "org.toml"),
            out=str(tmp_path / "o"),
            fail_under=50,
            stdout=io.StringIO(),
        )
    (root / "var" / "test-artifacts" / "junit-postgres.xml").write_text("<testsuites><testsu")
    with pytest.raises(CommandError, match="not a JUnit XML file"):
        call_command(
            "compliance_matrix", root=str(root), organisational=str(root / "org.toml"), stdout=io.StringIO()
        )
    with pytest.raises(CommandError, match="No such file"):
        call_command("compliance_matrix", root=str(root), requirements="missing.md", stdout=io.StringIO())


def test_command_on_the_project_itself(tmp_path):
    out = io.StringIO()
    call_command(
        "compliance_matrix", root=str(ROOT), results=str(tmp_path / "none"), out=str(tmp_path), stdout=out
    )
    assert "requirements" in out.getvalue()
    rows = list(csv.DictReader((tmp_path / "compliance-matrix.csv").open()))
    assert len(rows) >= 70
    assert {row["status"] for row in rows} <= {"not run", "not covered", "organisational"}


def test_readme_block_is_rewritten_between_its_markers(tmp_path):
    root = _project(tmp_path)
    (root / "README.md").write_text(
        "# X\n\nbefore\n<!-- compliance-matrix:start -->\nold figure\n<!-- compliance-matrix:end -->\nafter\n"
    )
    call_command(
        "compliance_matrix",
        root=str(root),
        organisational=str(root / "org.toml"),
        readme="README.md",
        stdout=io.StringIO(),
    )
    text = (root / "README.md").read_text()
    assert "old figure" not in text
    assert text.startswith(
        "# X\n\nbefore\n<!-- compliance-matrix:start -->\n\n    compliance matrix: 4 requirements"
    )
    assert "not covered: R-CAB-1" in text and "failing: R-AUTH-3" in text
    assert text.endswith("<!-- compliance-matrix:end -->\nafter\n")
    (root / "README.md").write_text("no markers\n")
    with pytest.raises(CommandError, match="no <!-- compliance-matrix:start -->"):
        call_command("compliance_matrix", root=str(root), readme="README.md", stdout=io.StringIO())
