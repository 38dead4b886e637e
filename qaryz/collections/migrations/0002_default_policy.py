"""The default collection policy, in force from 2000-01-01 (so a policy is always in force)."""

import datetime as dt

from django.db import migrations


def seed(apps, schema_editor):
    Policy = apps.get_model("collections", "CollectionPolicy")
    Policy.objects.get_or_create(
        effective_from=dt.date(2000, 1, 1),
        defaults={
            "contact_from": dt.time(9, 0),
            "contact_until": dt.time(20, 0),
            "contact_weekdays": "1,2,3,4,5",
            "contact_on_holidays": False,
            "notice_deadline_days": 10,
            "changed_terms_window_days": 30,
            "answer_deadline_days": 15,
            "note": (
                "Law on microfinance Art. 9-2: notice within 10 calendar days, changed terms asked within 30 "
                "days (DOMAIN.md). Contact hours, weekdays and the 15-day answer are unconfirmed defaults."
            ),
        },
    )


def unseed(apps, schema_editor):
    apps.get_model("collections", "CollectionPolicy").objects.filter(effective_from=dt.date(2000, 1, 1)).delete()


class Migration(migrations.Migration):
    dependencies = [("collections", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
