from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("records", "0002_append_only_triggers")]
    operations = [
        migrations.AddField(
            model_name="auditchainhead",
            name="prev_hash",
            field=models.CharField(default="0" * 64, max_length=64),
        ),
    ]
