"""Database triggers that make the audit tables append-only (R-AUD-1).

PostgreSQL refuses UPDATE, DELETE and TRUNCATE; SQLite refuses UPDATE and DELETE. Used by the
migration and by the ``flush`` override (the only sanctioned way to empty a database, e.g. a
test teardown or a restore).
"""

from __future__ import annotations

from django.db.backends.base.base import BaseDatabaseWrapper

APPEND_ONLY_TABLES = ("records_auditevent", "records_auditcheckpoint")
# Tables of other rooms that are append-only too (the servicing ledger). They register here (their
# AppConfig.ready) so that ``flush`` lifts and restores their triggers as well; records imports no room.
_registered: list[str] = []


def register(table: str) -> None:
    if table not in _registered and table not in APPEND_ONLY_TABLES:
        _registered.append(table)


def _tables(connection: BaseDatabaseWrapper, tables: tuple[str, ...] | list[str] | None) -> list[str]:
    if tables is not None:
        return list(tables)
    existing = set(connection.introspection.table_names())
    return [t for t in (*APPEND_ONLY_TABLES, *_registered) if t in existing]


def _pg_statements(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}",
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
        f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION records_append_only()",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION records_append_only()",
    ]


PG_FUNCTION = """
CREATE OR REPLACE FUNCTION records_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % refused: the table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END
$$
"""


def _sqlite_statements(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_update",
        f"DROP TRIGGER IF EXISTS {table}_no_delete",
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'UPDATE on {table} refused: the table is append-only'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'DELETE on {table} refused: the table is append-only'); END",
    ]


def install(connection: BaseDatabaseWrapper, tables: tuple[str, ...] | list[str] | None = None) -> None:
    """Triggers on ``tables`` (default: every append-only table that exists)."""
    tables = _tables(connection, tables)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(PG_FUNCTION)
            for table in tables:
                for sql in _pg_statements(table):
                    cursor.execute(sql)
        elif connection.vendor == "sqlite":
            for table in tables:
                for sql in _sqlite_statements(table):
                    cursor.execute(sql)
        else:
            raise NotImplementedError(f"append-only triggers for {connection.vendor}")


def remove(connection: BaseDatabaseWrapper, tables: tuple[str, ...] | list[str] | None = None) -> None:
    tables = _tables(connection, tables)
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_change ON {table}")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
            else:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")


def installed(connection: BaseDatabaseWrapper) -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgname = %s AND tgenabled <> 'D'",
                ["records_auditevent_no_change"],
            )
        else:
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = %s",
                ["records_auditevent_no_update"],
            )
        return cursor.fetchone()[0] == 1
