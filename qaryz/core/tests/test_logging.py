"""Structured logging: JSON lines carrying the request id that the error page shows (R-WEB-5, R-SEC-1).

Settings are read at import, so each case configures Django in a subprocess with its environment.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = """
import django
django.setup()
from django.test import Client
from django.test.utils import override_settings
with override_settings(ROOT_URLCONF="qaryz.core.tests.test_errors_and_headers", ALLOWED_HOSTS=["testserver"]):
    response = Client(raise_request_exception=False).get("/boom/")
print(response.status_code, response["X-Request-ID"])
"""


def run_request(tmp_path: Path, log_json: str) -> tuple[str, str]:
    env = {
        **os.environ,
        "QARYZ_LOG_JSON": log_json,
        "QARYZ_DATA_DIR": str(tmp_path / "data"),
        "QARYZ_KEY_DIR": str(tmp_path / "keys"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'log.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "qaryz.settings",
        "DJANGO_DEBUG": "0",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    status, request_id = done.stdout.split()
    assert status == "500"
    return request_id, done.stderr


@pytest.mark.req("R-WEB-5", "R-SEC-1")
def test_json_log_lines_carry_the_request_id(tmp_path):
    request_id, stderr = run_request(tmp_path, "1")
    records = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert records, stderr
    errors = [r for r in records if r.get("name") == "qaryz.errors"]
    assert len(errors) == 1
    error = errors[0]
    assert error["request_id"] == request_id
    assert error["levelname"] == "ERROR"
    assert error["message"] == "Unhandled error on GET /boom/"
    assert "900101300017" in error["exc_info"]  # the detail stays in the log, keyed by the reference
    assert {"asctime", "levelname", "name", "request_id", "message"} <= set(error)
    # This subprocess has no migrated database, so the branded page (MFO profile) cannot render:
    # the user still gets a plain page with the reference, never a second crash.
    assert any(r.get("name") == "qaryz.errors.page" for r in records)


def test_plain_log_lines_when_json_is_off(tmp_path):
    request_id, stderr = run_request(tmp_path, "0")
    line = next(line for line in stderr.splitlines() if "Unhandled error on GET /boom/" in line)
    assert f"[{request_id}]" in line
    assert not line.startswith("{")
