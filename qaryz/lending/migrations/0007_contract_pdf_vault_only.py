"""R-3P-1: drop the PDF columns; 0006 gave every row a vault copy first. The columns get an empty
default before they go, so that migrating backwards can re-add them to existing rows (0006's
reverse then fills them from the vault)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("lending", "0006_contract_pdf_vault_copies"),
    ]

    operations = [
        migrations.AlterField(model_name="contract", name="pdf", field=models.BinaryField(default=b"")),
        migrations.AlterField(model_name="contractamendment", name="pdf", field=models.BinaryField(default=b"")),
        migrations.RemoveField(model_name="contract", name="pdf"),
        migrations.RemoveField(model_name="contractamendment", name="pdf"),
    ]
