from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _own_keys(settings, tmp_path: Path, request) -> Path:
    """Each records test gets its own key directory (KEK keyring, signing key).

    The column data keys made at migrate time are wrapped by the project's KEK, which this
    directory does not hold: they are removed inside the test's transaction (restored by its
    rollback) and made afresh under the test's own KEK when a test needs one."""
    settings.KEY_DIR = tmp_path / "keys"
    if "django_db" in request.keywords:
        from qaryz.records import fieldkeys
        from qaryz.records.models import FieldKey

        FieldKey.objects.all().delete()
        fieldkeys.forget_cached_keys()
        request.addfinalizer(fieldkeys.forget_cached_keys)
    return settings.KEY_DIR


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user("auditor", password="x-very-long-pass-1", is_staff=True)


@pytest.fixture
def client_obj():
    from qaryz.clients.models import Client

    return Client.objects.create(
        kind="individual", iin="900101300123", surname="Иванова", given_name="Анна", phone="+77011234567"
    )


@pytest.fixture(autouse=True)
def _empty_trail(request) -> None:
    """Start each database test from an empty trail.

    Syncing staff roles at migrate time is audited, so the test database holds events before any
    test runs; they are cleared here as a DBA would (triggers off), inside the test's transaction.
    """
    if "django_db" not in request.keywords:
        return
    from django.db import connection

    from qaryz.records import append_only

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE records_auditevent DISABLE TRIGGER USER")
            cursor.execute("DELETE FROM records_auditevent")
            cursor.execute("ALTER TABLE records_auditevent ENABLE TRIGGER USER")
        else:
            append_only.remove(connection)
            cursor.execute("DELETE FROM records_auditevent")
            append_only.install(connection)
        cursor.execute("DELETE FROM records_auditchainhead")
