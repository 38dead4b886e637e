from django.db import migrations


def install(apps, schema_editor):
    from qaryz.records import append_only

    append_only.install(schema_editor.connection, append_only.APPEND_ONLY_TABLES)


def remove(apps, schema_editor):
    from qaryz.records import append_only

    append_only.remove(schema_editor.connection, append_only.APPEND_ONLY_TABLES)


class Migration(migrations.Migration):
    dependencies = [("records", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]
