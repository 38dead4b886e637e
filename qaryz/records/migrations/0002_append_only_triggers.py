from django.db import migrations


def install(apps, schema_editor):
    from qaryz.records import append_only

    append_only.install(schema_editor.connection)


def remove(apps, schema_editor):
    from qaryz.records import append_only

    append_only.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("records", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]
