"""The compliance matrix's parts: requirement list, AST marker collection, JUnit results, grep."""

from __future__ import annotations

from pathlib import Path

import pytest

from qaryz.assurance import matrix

pytestmark = pytest.mark.req("R-SDLC-1")

ROOT = Path(__file__).resolve().parents[3]

REQUIREMENTS = """# Requirements catalogue

Intro text citing R-XX-9 is not an item.

## 1. Channels and the regulator
- **R-CH-1** (§3) All lending operations run through the AIS: the
  cabinet on the web site, the mobile app.
- **R-REG-1** (§4) Notify the authority.

## 4. The cabinet (§7)
- **R-CAB-1** Submit an application for a microcredit.
- **R-CAB-2** View the MFO's details
  and the full name of its first head.

Closing paragraph.
"""


def test_requirement_items_ids_titles_and_clauses():
    requirements = matrix.parse_requirements(REQUIREMENTS)
    assert [r.id for r in requirements] == ["R-CH-1", "R-REG-1", "R-CAB-1", "R-CAB-2"]
    first = requirements[0]
    assert first.clause == "§3"
    assert (
        first.title
        == "All lending operations run through the AIS: the cabinet on the web site, the mobile app."
    )
    assert first.section == "1. Channels and the regulator"
    # no clause on the item: the section's clause applies; continuation lines join the title
    cab2 = requirements[3]
    assert (cab2.clause, cab2.section) == ("§7", "4. The cabinet")
    assert cab2.title == "View the MFO's details and the full name of its first head."


def test_duplicate_requirement_is_refused():
    with pytest.raises(ValueError, match="R-CH-1"):
        matrix.parse_requirements(REQUIREMENTS + "\n## 9. Again\n- **R-CH-1** (§3) twice\n")


def test_the_projects_own_requirement_list_parses_completely():
    text = (ROOT / "docs" / "requirements" / "REQUIREMENTS.md").read_text(encoding="utf-8")
    requirements = matrix.parse_requirements(text)
    bullet_ids = {line.split("**")[1] for line in text.splitlines() if line.startswith("- **R-")}
    assert {r.id for r in requirements} == bullet_ids
    assert len(requirements) >= 70
    assert all(r.title and r.clause for r in requirements), [r.id for r in requirements if not r.clause]
    by_id = {r.id: r for r in requirements}
    assert by_id["R-AUTH-2"].clause == "P2 §4.7"
    assert by_id["R-CAB-7"].clause == "§7"


def test_ids_in_text_expands_ranges_and_keeps_digits_apart():
    assert matrix.ids_in_text("gates (R-SDLC-1..4) and R-AUTH-1") == {
        "R-SDLC-1",
        "R-SDLC-2",
        "R-SDLC-3",
        "R-SDLC-4",
        "R-AUTH-1",
    }
    assert matrix.ids_in_text("R-ONB-10 only") == {"R-ONB-10"}
    assert matrix.ids_in_text("R-FRAUD-1–3") == {"R-FRAUD-1", "R-FRAUD-2", "R-FRAUD-3"}


TEST_SOURCE = """
import pytest
from pytest import mark

pytestmark = [pytest.mark.django_db, pytest.mark.req("R-AUD-1")]

CASES = [pytest.param(1, marks=pytest.mark.req("R-NOT-1"))]


@pytest.mark.req("R-AUTH-2", "R-AUTH-3")
def test_function():
    pass


@pytest.mark.parametrize("x", [pytest.param(1, marks=pytest.mark.req("R-TLS-1")), 2])
def test_param(x):
    pass


def test_plain():
    pass


def helper_not_a_test():
    pass


@mark.req("R-WEB-5")
class TestGroup:
    pytestmark = pytest.mark.req("R-SRV-1")

    @pytest.mark.req("R-CAB-1")
    def test_method(self):
        pass

    async def test_async(self):
        pass

    def helper(self):
        pass


class NotATestClass:
    def test_ignored(self):
        pass
"""


def test_markers_collected_from_the_syntax_tree():
    tests = {t.nodeid: t.ids for t in matrix.markers_in_source(TEST_SOURCE, "qaryz/x/tests/test_y.py")}
    assert tests == {
        "qaryz/x/tests/test_y.py::test_function": {"R-AUD-1", "R-AUTH-2", "R-AUTH-3"},
        "qaryz/x/tests/test_y.py::test_param": {"R-AUD-1", "R-TLS-1"},
        "qaryz/x/tests/test_y.py::test_plain": {"R-AUD-1"},
        "qaryz/x/tests/test_y.py::TestGroup::test_method": {"R-AUD-1", "R-WEB-5", "R-SRV-1", "R-CAB-1"},
        "qaryz/x/tests/test_y.py::TestGroup::test_async": {"R-AUD-1", "R-WEB-5", "R-SRV-1"},
    }


def test_junit_key_matches_pytest_classnames():
    test = matrix.CitingTest("qaryz/x/tests/test_y.py", "TestGroup", "test_method", frozenset())
    assert test.junit_key == ("qaryz.x.tests.test_y.TestGroup", "test_method")
    plain = matrix.CitingTest("qaryz/x/tests/test_y.py", "", "test_plain", frozenset())
    assert plain.junit_key == ("qaryz.x.tests.test_y", "test_plain")


JUNIT = """<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
<testcase classname="qaryz.x.tests.test_y" name="test_function" time="0.1"/>
<testcase classname="qaryz.x.tests.test_y" name="test_param[1]" time="0.1"/>
<testcase classname="qaryz.x.tests.test_y" name="test_param[2]" time="0.1"><failure message="boom"/></testcase>
<testcase classname="qaryz.x.tests.test_y" name="test_plain" time="0.1"><skipped message="no"/></testcase>
<testcase classname="qaryz.x.tests.test_y.TestGroup" name="test_method[a]"><skipped/></testcase>
<testcase classname="qaryz.x.tests.test_y.TestGroup" name="test_method[b]"/>
<testcase classname="qaryz.x.tests.test_y.TestGroup" name="test_async"><error message="setup"/></testcase>
</testsuite></testsuites>"""


def test_junit_results_per_test_function():
    assert matrix.parse_junit(JUNIT) == {
        ("qaryz.x.tests.test_y", "test_function"): "passed",
        ("qaryz.x.tests.test_y", "test_param"): "failed",  # one failing parameter set fails it
        ("qaryz.x.tests.test_y", "test_plain"): "skipped",
        ("qaryz.x.tests.test_y.TestGroup", "test_method"): "passed",
        ("qaryz.x.tests.test_y.TestGroup", "test_async"): "failed",  # an error counts as a failure
    }


def _matrix(results):
    requirements = matrix.parse_requirements(REQUIREMENTS)
    tests = [
        matrix.CitingTest("qaryz/x/tests/test_y.py", "", "test_function", frozenset({"R-CH-1", "R-ZZ-1"})),
        matrix.CitingTest("qaryz/x/tests/test_y.py", "", "test_param", frozenset({"R-REG-1"})),
        matrix.CitingTest("qaryz/x/tests/test_y.py", "", "test_plain", frozenset({"R-CAB-1"})),
    ]
    return matrix.build_matrix(
        requirements,
        tests,
        results,
        {"R-CH-1": ["qaryz/cabinet/views.py"]},
        {"R-CAB-2": "the MFO profile register"},
    )


def test_statuses_and_coverage():
    built = _matrix({"sqlite": matrix.parse_junit(JUNIT)})
    status = {row.requirement.id: row.status for row in built.rows}
    assert status == {
        "R-CH-1": "covered",
        "R-REG-1": "failing",
        "R-CAB-1": "not run",  # only skipped: no proof
        "R-CAB-2": "organisational",
    }
    # 1 of the 3 software-checkable requirements has passing tests only
    assert built.coverage_percent == pytest.approx(100 / 3)
    assert built.unknown_ids == {"R-ZZ-1": ["qaryz/x/tests/test_y.py::test_function"]}
    assert "1/3 (33.3 %)" in built.summary()


def test_no_results_means_not_run_never_covered():
    built = _matrix({})
    assert {row.requirement.id: row.status for row in built.rows}["R-CH-1"] == "not run"
    assert built.coverage_percent == 0.0


def test_a_failure_in_either_database_phase_fails_the_requirement():
    key = ("qaryz.x.tests.test_y", "test_function")
    built = _matrix({"sqlite": {key: "passed"}, "postgres": {key: "failed"}})
    row = next(r for r in built.rows if r.requirement.id == "R-CH-1")
    assert row.status == "failing"
    assert row.results == {
        "qaryz/x/tests/test_y.py::test_function": {"sqlite": "passed", "postgres": "failed"}
    }


def test_csv_and_html_rendering_escape_and_carry_every_row():
    built = _matrix({"sqlite": matrix.parse_junit(JUNIT)})
    built.rows[0].requirement = matrix.Requirement("R-CH-1", "<script>alert(1)</script>", "§3", "s")
    page = matrix.render_html(built, "2026-01-01T00:00:00+00:00", "0.2.0")
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "organisational: supported by the MFO profile register" in page
    assert "qaryz/cabinet/views.py" in page
    rows = matrix.render_csv(built).splitlines()
    assert rows[0].split(",") == matrix.CSV_HEADER
    assert len(rows) == 1 + 4
    assert rows[2].startswith("R-REG-1,§4,") and ",failing,1 failed," in rows[2]
    assert "covered (1 passed)" in page and "not run (1 skipped)" in page


def test_organisational_mapping_needs_a_supporting_feature():
    assert matrix.parse_organisational('["R-SDLC-1"]\nsupported_by = "git"\n') == {"R-SDLC-1": "git"}
    with pytest.raises(ValueError):
        matrix.parse_organisational('["R-SDLC-1"]\nnote = "x"\n')
    with pytest.raises(ValueError):
        matrix.parse_organisational('["not-an-id"]\nsupported_by = "x"\n')


def test_implementations_found_outside_tests(tmp_path):
    (tmp_path / "qaryz" / "room" / "tests").mkdir(parents=True)
    (tmp_path / "qaryz" / "room" / "templates" / "room").mkdir(parents=True)
    (tmp_path / "docs").mkdir()
    (tmp_path / "qaryz" / "room" / "services.py").write_text('"""Lockout (R-AUTH-2)."""\n')
    (tmp_path / "qaryz" / "room" / "templates" / "room" / "page.html").write_text("{# R-WEB-4 #}")
    (tmp_path / "qaryz" / "room" / "tests" / "test_x.py").write_text("# R-AUTH-2 R-CAB-1\n")
    (tmp_path / "docs" / "room.md").write_text("Gates R-SDLC-2..3.\n")
    assert matrix.find_implementations(tmp_path) == {
        "R-AUTH-2": ["qaryz/room/services.py"],
        "R-WEB-4": ["qaryz/room/templates/room/page.html"],
        "R-SDLC-2": ["docs/room.md"],
        "R-SDLC-3": ["docs/room.md"],
    }


def test_the_projects_own_tests_cite_only_listed_ids():
    requirements = matrix.parse_requirements(
        (ROOT / "docs" / "requirements" / "REQUIREMENTS.md").read_text(encoding="utf-8")
    )
    built = matrix.build_matrix(requirements, matrix.collect_markers(ROOT), {}, {}, {})
    assert built.unknown_ids == {}
    assert sum(1 for row in built.rows if row.tests) >= 60
