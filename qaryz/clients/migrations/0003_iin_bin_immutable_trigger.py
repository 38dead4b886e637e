"""The database refuses any UPDATE that changes a client's IIN or BIN (R-ONB-7).

Application code never offers the fields for editing; this trigger makes it true even for raw SQL
or a bug in a future form. Error class: integrity violation on both engines.
"""

from django.db import migrations

SQLITE_DOWN = "DROP TRIGGER IF EXISTS clients_client_iin_bin_immutable;"
PG_DOWN = """
DROP TRIGGER IF EXISTS clients_client_iin_bin_immutable ON clients_client;
DROP FUNCTION IF EXISTS clients_client_iin_bin_immutable();
"""


def up(apps, schema_editor):
    # Same SQL as the post_migrate hook, so a fresh database has the trigger from this point on.
    from qaryz.clients.db_triggers import POSTGRES, SQLITE

    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE)
    elif vendor == "postgresql":
        schema_editor.execute(POSTGRES)


def down(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    schema_editor.execute(SQLITE_DOWN if vendor == "sqlite" else PG_DOWN)


class Migration(migrations.Migration):
    dependencies = [("clients", "0002_identity_documents_signer_bank")]
    operations = [migrations.RunPython(up, down)]
