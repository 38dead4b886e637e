"""Database triggers of the clients room, re-asserted after every ``migrate``.

SQLite drops triggers when Django rebuilds a table (any later migration that alters
``clients_client`` would do so), so the trigger is (re)created idempotently on post_migrate as
well as by migration 0003.
"""

from __future__ import annotations

from typing import Any

from django.db import connections

SQLITE = """
CREATE TRIGGER IF NOT EXISTS clients_client_iin_bin_immutable
BEFORE UPDATE OF iin, bin ON clients_client
FOR EACH ROW WHEN OLD.iin IS NOT NEW.iin OR OLD.bin IS NOT NEW.bin
BEGIN
    SELECT RAISE(ABORT, 'IIN and BIN of a client cannot be changed');
END;
"""

POSTGRES = """
CREATE OR REPLACE FUNCTION clients_client_iin_bin_immutable() RETURNS trigger AS $$
BEGIN
    IF NEW.iin IS DISTINCT FROM OLD.iin OR NEW.bin IS DISTINCT FROM OLD.bin THEN
        RAISE EXCEPTION 'IIN and BIN of a client cannot be changed'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS clients_client_iin_bin_immutable ON clients_client;
CREATE TRIGGER clients_client_iin_bin_immutable
BEFORE UPDATE ON clients_client
FOR EACH ROW EXECUTE FUNCTION clients_client_iin_bin_immutable();
"""


def ensure_triggers(using: str = "default", **kwargs: Any) -> None:
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(SQLITE)
        elif connection.vendor == "postgresql":
            cursor.execute(POSTGRES)
