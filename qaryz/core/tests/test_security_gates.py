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
    assert security_audit.main(["audit", "requirements/lock.txt", str(tmp_path)]) == 0
    markdown = (tmp_path / "dependency-audit.md").read_text()
    assert "- audited, no known vulnerability: 0" in markdown
    assert "**not audited – vulnerability data unavailable**: 2" in markdown
    assert "- django: could not reach the vulnerability service" in markdown
