"""Close of business: the day's penalty kept on the loan (posted by INSERT … SELECT), an index of
the instalments not yet fallen due by date, and on PostgreSQL a fill factor of 50 for the loan
table: the nightly UPDATE rewrites every active loan, and free room in each page lets PostgreSQL
keep the new row version in the same page without touching the loan table's eight indexes (HOT).
"""

from django.db import migrations, models

LOAN_FILLFACTOR = 50


def fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE servicing_loan SET (fillfactor = {LOAN_FILLFACTOR})")


def default_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE servicing_loan RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [
        ("servicing", "0002_ledger_append_only"),
    ]

    operations = [
        migrations.AddField(
            model_name="loan",
            name="last_penalty",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddIndex(
            model_name="instalment",
            index=models.Index(
                condition=models.Q(("fell_due", False)),
                fields=["due_date", "loan"],
                name="instalment_falling_due",
            ),
        ),
        migrations.RunPython(fillfactor, default_fillfactor),
    ]
