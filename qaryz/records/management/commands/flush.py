"""Django's ``flush`` with the audit tables' append-only triggers lifted for its duration.

Emptying the whole database is an operator action (test teardown, ``restore``); the triggers
are back before the command returns, even if flushing fails.
"""

from __future__ import annotations

from django.core.management.commands.flush import Command as DjangoFlush
from django.db import DEFAULT_DB_ALIAS, connections

from qaryz.records import append_only


class Command(DjangoFlush):
    def handle(self, **options):
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        had_triggers = _table_exists(connection) and append_only.installed(connection)
        if had_triggers:
            append_only.remove(connection)
        try:
            return super().handle(**options)
        finally:
            if had_triggers:
                append_only.install(connection)


def _table_exists(connection) -> bool:
    return "records_auditevent" in connection.introspection.table_names()
