"""The secret scanner reads the whole history: a secret removed later is still found."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from qaryz.assurance import secret_scan

pytestmark = pytest.mark.req("R-SDLC-2")

# Built at run time so that this file itself carries no secret-shaped literal.
AWS_KEY = "AKIA" + "Z7QW3RT5YU8IOP2L"
PEM = "-----BEGIN RSA " + "PRIVATE KEY-----"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        check=True,
        capture_output=True,
    )


def _commit(repo: Path, files: dict[str, str | None], message: str) -> None:
    for name, text in files.items():
        path = repo / name
        if text is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _commit(repo, {"README.md": "hello\n"}, "start")
    return repo


def _run(repo: Path, tmp_path: Path, allowlist: str = "") -> tuple[int, dict, str]:
    allow = tmp_path / "allow.toml"
    allow.write_text(allowlist)
    out = tmp_path / "out"
    code = secret_scan.main(["scan", str(out), str(repo), str(allow)])
    return code, json.loads((out / "secret-scan.json").read_text()), (out / "secret-scan.md").read_text()


def test_a_secret_removed_later_is_still_found_in_the_history(repo, tmp_path):
    _commit(repo, {"app/settings.py": f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"\n'}, "oops")
    _commit(repo, {"app/settings.py": 'AWS_ACCESS_KEY_ID = ""\n'}, "remove it")
    assert AWS_KEY not in (repo / "app" / "settings.py").read_text()
    code, report, markdown = _run(repo, tmp_path)
    assert code == 1
    kinds = {(f["path"], f["type"], f["line"]) for f in report["findings"]}
    assert ("app/settings.py", "AWS Access Key", 1) in kinds
    assert "**findings not on the allowlist (gate fails)**: " in markdown
    assert AWS_KEY not in json.dumps(report) and AWS_KEY not in markdown  # only its hash is reported


def test_clean_history_passes(repo, tmp_path):
    _commit(repo, {"app/views.py": "def view(request):\n    return None\n"}, "code")
    code, report, _ = _run(repo, tmp_path)
    assert code == 0 and report["findings"] == []
    assert report["lines_scanned"] == 3


def test_literal_passwords_in_tests_are_reported_not_gating_but_keys_gate_everywhere(repo, tmp_path):
    _commit(repo, {"app/tests/test_login.py": 'PASSWORD = "Steppe-Eagle-Flight-88"\n'}, "test password")
    code, report, _ = _run(repo, tmp_path)
    assert code == 0
    assert [f["path"] for f in report["allowlisted"]] == ["app/tests/test_login.py"]
    _commit(repo, {"app/tests/fixtures.py": f'KEY = """{PEM}\nMIIEow"""\n'}, "a private key in tests")
    code, report, _ = _run(repo, tmp_path)
    assert code == 1
    assert [(f["path"], f["type"]) for f in report["findings"]] == [("app/tests/fixtures.py", "Private Key")]


def test_allowlist_by_hash_and_the_pragma(repo, tmp_path):
    _commit(repo, {"app/demo.py": 'DEMO_PASSWORD = "Demo-Client-2026"\n'}, "demo")
    code, report, _ = _run(repo, tmp_path)
    assert code == 1
    finding = report["findings"][0]
    assert finding["type"] == "Secret Keyword"
    allow = (
        f'[[allow]]\npath = "app/demo.py"\ntype = "Secret Keyword"\n'
        f'hashed_secret = "{finding["hashed_secret"]}"\nreason = "published demo credential"\n'
    )
    code, report, markdown = _run(repo, tmp_path, allow)
    assert code == 0 and "app/demo.py (Secret Keyword): published demo credential" in markdown
    # another value in the same file is a new finding
    _commit(repo, {"app/demo.py": 'DEMO_PASSWORD = "Another-Value-2026"\n'}, "changed")
    assert _run(repo, tmp_path, allow)[0] == 1
    _commit(
        repo,
        {"app/demo.py": 'DEMO_PASSWORD = "Third-Value-2026"  # pragma: allowlist secret\n'},
        "marked",
    )
    code, report, _ = _run(repo, tmp_path, allow)
    assert [f["line"] for f in report["findings"]] == [1]  # only the unmarked second value remains
    with pytest.raises(ValueError, match="lacks reason"):
        secret_scan.load_allowlist('[[allow]]\npath = "a"\ntype = "b"\nhashed_secret = "c"\n')


def test_added_lines_carry_commit_path_and_line_number():
    diff = (
        "commit abc\n"
        "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -3,0 +4,2 @@\n+four\n+five\n"
        "diff --git a/y.py b/y.py\n--- a/y.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-gone\n"
    )
    assert secret_scan.added_lines(diff) == [("abc", "x.py", 4, "four"), ("abc", "x.py", 5, "five")]
