"""Two OS processes append to the trail at once; the chain must stay linear (R-AUD-1)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]
WRITER = """
import django, sys, time
from pathlib import Path
django.setup()
from django.db import transaction
from django.db import connection
from qaryz.records.services import record_event
connection.ensure_connection()
Path(sys.argv[3], "ready-" + sys.argv[2]).touch()
while not Path(sys.argv[3], "go").exists():
    time.sleep(0.001)
for i in range(int(sys.argv[1])):
    if i % 10 == 0:
        time.sleep(0.002)  # real callers do other work between events; lets the other writer in
    if i % 2:
        with transaction.atomic():
            record_event("concurrent.write", data={"worker": sys.argv[2], "i": i})
    else:
        record_event("concurrent.write", data={"worker": sys.argv[2], "i": i})
"""
VERIFY = """
import django, sys
django.setup()
from qaryz.records.selectors import verify_trail
from qaryz.records.models import AuditEvent
r = verify_trail()
rows = AuditEvent.objects.filter(action="concurrent.write").order_by("seq").values_list("data", flat=True)
workers = [int(__import__("json").loads(d)["worker"]) for d in rows]
switches = sum(1 for a, b in zip(workers, workers[1:]) if a != b)
print(r.ok, r.checked, len(workers), switches, file=sys.stdout)
"""


def _env(tmp_path: Path, database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        QARYZ_DATA_DIR=str(tmp_path / "data"),
        QARYZ_KEY_DIR=str(tmp_path / "keys"),
        DJANGO_SETTINGS_MODULE="qaryz.settings",
    )
    return env


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.req("R-AUD-1")
@pytest.mark.django_db
def test_two_processes_writing_keep_the_chain_linear(tmp_path):
    if connection.vendor == "postgresql":
        import psycopg

        params = connection.settings_dict
        name = f"qaryz_records_conc_{secrets.token_hex(4)}"
        admin = f"host={params['HOST']} port={params['PORT'] or 5432} user={params['USER']} dbname=postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = f"postgres://{params['USER']}@{params['HOST']}:{params['PORT'] or 5432}/{name}"
    else:
        name = ""
        url = f"sqlite:///{tmp_path / 'conc.sqlite3'}"
    env = _env(tmp_path, url)
    try:
        _run([str(ROOT / "manage.py"), "migrate", "-v", "0"], env)
        per_worker = 600
        writers = [
            subprocess.Popen(
                [sys.executable, "-c", WRITER, str(per_worker), str(n), str(tmp_path)],
                env=env,
                cwd=ROOT,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(2)
        ]
        for _ in range(6000):
            if all((tmp_path / f"ready-{n}").exists() for n in range(2)):
                break
            time.sleep(0.01)
        (tmp_path / "go").touch()
        for writer in writers:
            _, err = writer.communicate(timeout=300)
            assert writer.returncode == 0, err[-3000:]
        ok, checked, total, switches = _run(["-c", VERIFY], env).split()
        # checked also counts the role-sync events that migrate writes before the writers start.
        assert ok == "True"
        assert int(total) == 2 * per_worker
        assert int(checked) >= int(total)
        assert int(switches) >= 2, "the writers did not overlap; the test proved nothing"
    finally:
        if name:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
