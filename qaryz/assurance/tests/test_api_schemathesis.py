"""schemathesis over the whole OpenAPI document, unauthenticated (issue 15, item 2).

Every operation of ``/api/v1/openapi.json`` gets generated requests – valid and invalid bodies,
parameters, unsupported methods – through the WSGI application in-process. Each response must not
be a server error (5xx), and an error body must carry no stack trace, no SQL or driver name and no
IIN-shaped number (R-WEB-5: minimal information, an error reference). The authenticated pass is
``test_api_schemathesis_authenticated.py``.
"""

from __future__ import annotations

import re

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from qaryz.core.identifiers import is_valid_iin

pytestmark = [pytest.mark.django_db, pytest.mark.req("R-SRV-1", "R-WEB-5")]

LEAKS = re.compile(
    r"Traceback|File \"/|psycopg|sqlite3|OperationalError|IntegrityError|ProgrammingError|"
    r"\bSELECT\b.+\bFROM\b|\bINSERT INTO\b|\bUPDATE\b.+\bSET\b"
)


def _schema():  # type: ignore[no-untyped-def]
    # pytest-django has set Django up before collection; the document is read through the app.
    from qaryz.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


schema = _schema()


def no_leak_in_errors(ctx, response, case) -> None:  # type: ignore[no-untyped-def]
    if response.status_code < 400:
        return
    body = response.text or ""
    assert not LEAKS.search(body), f"{case.method} {case.path}: internals in an error body: {body[:300]}"
    for number in re.findall(r"(?<!\d)\d{12}(?!\d)", body):
        assert not is_valid_iin(number), f"{case.method} {case.path}: an IIN in an error body: {body[:300]}"


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI application is called directly (not through Django's test client), so its
    end-of-request ``close_old_connections`` would close the test's database connection, which sits
    in the test transaction (PostgreSQL then answers "connection is closed"): disconnected here as
    the test client does."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_and_no_internals_in_error_bodies(case) -> None:  # type: ignore[no-untyped-def]
    response = case.call()
    case.validate_response(response, checks=[not_a_server_error], additional_checks=[no_leak_in_errors])


def test_the_leak_check_catches_internals_and_iins() -> None:
    from types import SimpleNamespace

    from qaryz.access.testing import make_iin

    case = SimpleNamespace(method="POST", path="/x")

    def body(status: int, text: str) -> SimpleNamespace:
        return SimpleNamespace(status_code=status, text=text)

    for leaking in (
        'Traceback (most recent call last):\n  File "/app/qaryz/x.py"',
        "psycopg.errors.UniqueViolation: duplicate key",
        "SELECT id FROM clients_client WHERE iin = 1",
        f'{{"detail": "client {make_iin()} not found"}}',
    ):
        with pytest.raises(AssertionError):
            no_leak_in_errors(None, body(400, leaking), case)
    no_leak_in_errors(None, body(400, '{"detail": "Проверьте ИИН", "request_id": "a1b2c3d4"}'), case)
    no_leak_in_errors(None, body(200, "SELECT is fine in a 200 body"), case)
