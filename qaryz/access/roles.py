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
            "bureau.view_reporting",
            "correspondence.view_thread",
            "incidents.manage_incident",
            "risks.view_registers",
            "risks.manage_fraud_risks",
            "leaks.view_leakmark",
            "leaks.mark_leak",
            "regulator.view_channel",
            "messaging.view_mail_outbox",
            "backoffice.view_reports",
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
            "incidents.manage_incident",
            "risks.view_registers",
            "risks.manage_security_risks",
            "regulator.view_channel",
            "regulator.manage_channel",
            "messaging.view_mail_outbox",
            "leaks.view_leakmark",
            "leaks.mark_leak",
            "backoffice.view_reports",
            # antifraud (R-AF-1): rules are approved by a second officer, never the maker
            "antifraud.view_alerts",
            "antifraud.edit_ruleset",
            "antifraud.approve_ruleset",
            "antifraud.decide_hold",
            "antifraud.manage_case",
        ],
    ),
    "support": (
        _("Customer support"),
        [
            "clients.view_client_data",
            "access.unlock_account",
            "messaging.view_sms_outbox",
            "servicing.view_loan",
            "correspondence.view_thread",
            "correspondence.answer_thread",
            "leaks.view_leakmark",
            "leaks.call_client",
        ],
    ),
    "accountant": (
        _("Accountant"),
        [
            "servicing.view_loan",
            "servicing.view_ledger",
            # the checker of payouts, refunds and returns (never their maker: servicing.approvals)
            "servicing.approve_payout",
            "backoffice.view_ledger",
            "bureau.view_reporting",
            "backoffice.view_reports",
        ],
    ),
    "collections_officer": (
        _("Collections officer"),
        [
            "clients.view_client_data",
            "servicing.view_loan",
            "collections.log_collection_action",
            "collections.view_changedtermsrequest",
            "collections.answer_changed_terms",
            "collections.propose_write_off",
            "collections.view_writeoffdecision",
        ],
    ),
    # The checker of write-offs (never the proposer, enforced by collections.services) and the
    # keeper of the collection policy (contact hours and deadlines with effective dates, admin).
    "write_off_approver": (
        _("Write-off approver"),
        [
            "servicing.view_loan",
            "collections.view_changedtermsrequest",
            "collections.view_writeoffdecision",
            "collections.approve_write_off",
            "collections.view_collectionpolicy",
            "collections.add_collectionpolicy",
            "collections.change_collectionpolicy",
            "backoffice.view_reports",
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
            "regulator.view_channel",
            "regulator.open_channel",
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
