from django.db import migrations

TABLES = ["servicing_transfer"]


def install(apps, schema_editor):
    from qaryz.records import append_only

    append_only.install(schema_editor.connection, TABLES)


def remove(apps, schema_editor):
    from qaryz.records import append_only

    append_only.remove(schema_editor.connection, TABLES)


class Migration(migrations.Migration):
    dependencies = [("servicing", "0001_ledger"), ("records", "0002_append_only_triggers")]
    operations = [migrations.RunPython(install, remove)]
