"""Demo staff: one user per role (R-ACC-1). Idempotent; prints the credentials.

The second factor is an SMS code: in the demo it lands in DATA_DIR/sms-outbox.log
(``tail -f var/sms-outbox.log``) and on the back-office "SMS outbox (demo)" page.
"""

from typing import TextIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from qaryz.access.models import StaffSecurity
from qaryz.access.roles import ROLES, sync_roles

DEMO_STAFF_PASSWORD = "Demo-Staff-2026!"  # noqa: S105 - published demo credential


def load_demo(out: TextIO) -> None:
    sync_roles()
    User = get_user_model()
    for index, role in enumerate(ROLES, start=1):
        user = User.objects.filter(username=role).first()
        if user is None:
            user = User.objects.create_user(username=role, password=DEMO_STAFF_PASSWORD, is_staff=True)
            user.groups.add(Group.objects.get(name=role))
            StaffSecurity.objects.create(user=user, phone=f"+7700000{index:04d}")
            out.write(f"demo staff created: {role}\n")
        out.write(
            f"staff {role}: user {role}, password {DEMO_STAFF_PASSWORD} (SMS code in {settings.SMS_OUTBOX_FILE})\n"
        )
