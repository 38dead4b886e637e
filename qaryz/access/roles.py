"""Staff roles as Django groups with least-privilege permissions (R-ACC-1).

Rooms add their permissions here as they appear; permissions not (yet) installed are skipped, so
the table can name them before the room exists. The administrator manages staff accounts but has
no access to client data by default.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.utils.translation import gettext_lazy as _

ROLES: dict[str, tuple[str, list[str]]] = {
    "underwriter": (
        _("Underwriter"),
        [
            "clients.view_client_data",
            "lending.view_application",
            "lending.decide_application",
            "servicing.view_loan",
        ],
    ),
    "cash_desk": (
        _("Cash desk"),
        [
            "clients.view_client_data",
            "servicing.view_loan",
            "servicing.disburse_cash",
            "servicing.post_payment",
        ],
    ),
    "compliance": (
        _("Compliance / AML officer"),
        [
            "clients.view_client_data",
            "compliance.view_case",
            "compliance.decide_case",
            "records.view_auditevent",
            "servicing.view_loan",
            "fraudcases.view_fraudcase",
            "fraudcases.manage_fraudcase",
            "incidents.view_incident",
        ],
    ),
    "security": (
        _("Security officer"),
        [
            "access.unlock_account",
            "records.view_auditevent",
            "compliance.view_incident",
            "incidents.view_incident",
            "fraudcases.view_fraudcase",
        ],
    ),
    "support": (
        _("Customer support"),
        [
            "clients.view_client_data",
            "access.unlock_account",
            "messaging.view_sms_outbox",
            "servicing.view_loan",
        ],
    ),
    "accountant": (
        _("Accountant"),
        [
            "servicing.view_loan",
            "servicing.view_ledger",
        ],
    ),
    "administrator": (
        _("Administrator"),
        [
            "access.manage_staff",
            "auth.view_user",
            "auth.add_user",
            "auth.change_user",
            "auth.view_group",
            "core.change_mfoprofile",
            "core.view_mfoprofile",
        ],
    ),
}


def sync_roles(**kwargs: object) -> None:
    """Create the groups and give each exactly the permissions of its role (idempotent)."""
    for name, (_label, perms) in ROLES.items():
        group, _created = Group.objects.get_or_create(name=name)
        wanted = []
        for dotted in perms:
            app_label, codename = dotted.split(".", 1)
            perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if perm is not None:
                wanted.append(perm)
        group.permissions.set(wanted)
