"""The security gates of `scripts/security` catch what R-SDLC-2..4 name (static analysis findings,
known-vulnerable dependencies) and never report unchecked dependencies as clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from qaryz.core import security_audit

ROOT = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent

# Injection, dangerous functions, weak cryptography, a hard-coded secret: what the gate must catch.
UNSAFE = """
import hashlib
import subprocess

PASSWORD = "hunter2-production"


def run(user_input):
    subprocess.call("ls " + user_input, shell=True)
    return eval(user_input), hashlib.md5(user_input.encode()).hexdigest()


def query(cursor, name):
    cursor.execute("SELECT * FROM client WHERE name = '%s'" % name)
"""


@pytest.fixture
def unsafe_module(tmp_path: Path) -> Path:
    path = tmp_path / "unsafe.py"
    path.write_text(UNSAFE)
    return path


@pytest.mark.req("R-SDLC-2")
def test_ruff_security_rules_catch_the_unsafe_patterns(unsafe_module: Path) -> None:
    done = subprocess.run(
        [
            BIN / "ruff",
            "check",
            "--config",
            ROOT / "pyproject.toml",
            "--output-format",
            "concise",
            unsafe_module,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    for rule in ("S602", "S307", "S324", "S105", "S608"):  # shell, eval, md5, secret, SQL built by %
        assert rule in done.stdout, rule


@pytest.mark.req("R-SDLC-2")
def test_bandit_gate_fails_on_the_unsafe_patterns(unsafe_module: Path) -> None:
    # The same options as scripts/security: medium severity and confidence fail the gate.
    gate: list[str | Path] = [
        BIN / "bandit",
        "-q",
        "--severity-level",
        "medium",
        "--confidence-level",
        "medium",
    ]
    done = subprocess.run([*gate, unsafe_module], capture_output=True, text=True, check=False)
    assert done.returncode == 1
    for test_id in ("B602", "B307", "B324", "B608"):
        assert test_id in done.stdout, test_id
    safe = unsafe_module.with_name("safe.py")
    safe.write_text("def add(a: int, b: int) -> int:\n    return a + b\n")
    assert subprocess.run([*gate, safe], capture_output=True, check=False).returncode == 0


def _report(*deps: dict) -> dict:
    return {"dependencies": list(deps)}


@pytest.mark.req("R-SDLC-3", "R-SDLC-4")
def test_a_known_vulnerability_blocks_the_release(tmp_path: Path, monkeypatch) -> None:
    report = _report(
        {"name": "django", "version": "5.2.0", "vulns": [{"id": "PYSEC-2099-1", "fix_versions": ["5.2.9"]}]},
        {"name": "cryptography", "version": "46.0.0", "vulns": []},
    )
    monkeypatch.setattr(security_audit, "run_pip_audit", lambda lock: report)
    assert security_audit.main(["audit", "requirements/lock.txt", str(tmp_path)]) == 1
    markdown = (tmp_path / "dependency-audit.md").read_text()
    assert "Vulnerable (release blocked)" in markdown and "PYSEC-2099-1 (fixed in 5.2.9)" in markdown
    assert (tmp_path / "dependency-audit.json").exists()


@pytest.mark.req("R-SDLC-3")
def test_unreachable_vulnerability_data_is_reported_as_not_audited_never_clean(tmp_path, monkeypatch) -> None:
    report = _report(
        {"name": "django", "version": "5.2.19", "skip_reason": "could not reach the vulnerability service"},
        {
            "name": "cryptography",
            "version": "46.0.3",
            "skip_reason": "could not reach the vulnerability service",
        },
    )
    monkeypatch.setattr(security_audit, "run_pip_audit", lambda lock: report)
    # PyPI's project JSON unreachable as well (the second source): still never clean
    monkeypatch.setenv("QARYZ_AUDIT_PYPI_URL", "http://127.0.0.1:9/pypi")
    assert security_audit.main(["audit", "requirements/lock.txt", str(tmp_path)]) == 0
    markdown = (tmp_path / "dependency-audit.md").read_text()
    assert "- audited, no known vulnerability: 0" in markdown
    assert "**not audited – vulnerability data unavailable**: 2" in markdown
    assert (
        "- django: vulnerability data unavailable (pip-audit's service and PyPI's project JSON not reachable)"
        in (markdown)
    )


LOCK = """django==5.2.19 \\
    --hash=sha256:aa
psycopg[binary]==3.2.9 \\
    --hash=sha256:bb
Ruamel.Yaml==0.18.1 ; python_version >= "3.9"
"""


def test_locked_versions_are_read_with_normalised_names() -> None:
    assert security_audit.locked_versions(LOCK) == {
        "django": "5.2.19",
        "psycopg": "3.2.9",
        "ruamel-yaml": "0.18.1",
    }


def _project(latest: str, *vulns: dict) -> dict:
    return {"info": {"version": latest}, "vulnerabilities": list(vulns)}


@pytest.mark.req("R-SDLC-3", "R-SDLC-4")
def test_pypi_project_json_gives_a_verdict_only_for_the_latest_release(tmp_path, monkeypatch) -> None:
    report = _report(
        {
            "name": "django",
            "skip_reason": "Dependency not found on PyPI and could not be audited: django (5.2.19)",
        },
        {"name": "psycopg", "skip_reason": "Dependency not found on PyPI"},
        {"name": "ruamel.yaml", "skip_reason": "Dependency not found on PyPI"},
        {"name": "cryptography", "version": "46.0.3", "vulns": []},
    )
    projects = {
        "django": _project("6.1.3"),  # pinned to an older release: no verdict
        "psycopg": _project(
            "3.2.9",
            {"id": "PYSEC-2099-7", "fixed_in": ["3.2.10"], "aliases": ["CVE-2099-7"], "summary": "x"},
            {"id": "GHSA-old", "fixed_in": [], "withdrawn": "2026-01-01T00:00:00Z"},
        ),
        "ruamel.yaml": _project("0.18.1"),
    }
    calls: list[list[str]] = []

    def fetch(names):
        calls.append(list(names))
        return {name: projects.get(name) for name in names}

    judged = {
        dep["name"]: dep
        for dep in security_audit.supplement_from_pypi(report, LOCK, fetch=fetch)["dependencies"]
    }
    assert calls == [["django", "psycopg", "ruamel.yaml"]]  # only what pip-audit skipped
    assert judged["django"]["skip_reason"].startswith("pinned 5.2.19; PyPI's advisory data reachable here")
    assert judged["psycopg"]["vulns"] == [
        {"id": "PYSEC-2099-7", "fix_versions": ["3.2.10"], "aliases": ["CVE-2099-7"], "description": "x"}
    ]  # the withdrawn advisory does not count
    assert judged["ruamel.yaml"] == {
        "name": "ruamel.yaml",
        "version": "0.18.1",
        "vulns": [],
        "source": "pypi-project-json",
    }
    assert judged["cryptography"] == {"name": "cryptography", "version": "46.0.3", "vulns": []}

    lock = tmp_path / "lock.txt"
    lock.write_text(LOCK)
    monkeypatch.setattr(security_audit, "run_pip_audit", lambda path: report)
    monkeypatch.setattr(security_audit, "fetch_pypi_projects", fetch)
    assert security_audit.main(["audit", str(lock), str(tmp_path / "out")]) == 1  # psycopg blocks the release
    markdown = (tmp_path / "out" / "dependency-audit.md").read_text()
    assert "- psycopg 3.2.9: PYSEC-2099-7 (fixed in 3.2.10)" in markdown
    assert "- audited, no known vulnerability: 2 (1 of them from PyPI's project JSON)" in markdown
    assert "**not audited – vulnerability data unavailable**: 1" in markdown


@pytest.mark.req("R-SDLC-3")
def test_pypi_project_json_fetched_over_http_and_an_unreachable_index_costs_one_probe(monkeypatch) -> None:
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    requested: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requested.append(self.path)
            if self.path == "/pypi/django/json":
                body = json.dumps(_project("5.2.19")).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_error(404)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("QARYZ_AUDIT_PYPI_URL", f"http://127.0.0.1:{server.server_port}/pypi")
        got = security_audit.fetch_pypi_projects(["django", "nosuch"])
        assert got == {"django": _project("5.2.19"), "nosuch": None}
        assert sorted(requested) == ["/pypi/django/json", "/pypi/nosuch/json"]
        # a project the index does not know (404) is no reason to stop
        requested.clear()
        assert security_audit.fetch_pypi_projects(["nosuch", "django"]) == {
            "nosuch": None,
            "django": _project("5.2.19"),
        }
        assert len(requested) == 2
        # an index that does not answer: one probe, then nothing else is asked
        monkeypatch.setenv("QARYZ_AUDIT_PYPI_URL", "http://127.0.0.1:9/pypi")
        assert security_audit.fetch_pypi_projects(["django", "nosuch"], timeout=2) == {
            "django": None,
            "nosuch": None,
        }
        monkeypatch.setenv("QARYZ_AUDIT_OFFLINE", "1")
        requested.clear()
        assert security_audit.fetch_pypi_projects(["django"]) == {"django": None}
        assert requested == []
    finally:
        server.shutdown()
        server.server_close()
