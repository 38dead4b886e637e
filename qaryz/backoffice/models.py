"""The back office keeps no tables of its own: this unmanaged model only carries the permissions of
the workbench that belong to no other room (reports, the ledger journal)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Workbench(models.Model):
    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_reports", _("Can view reports and export them")),
            ("view_ledger", _("Can view and export the ledger journal")),
        ]

    def __str__(self) -> str:
        return "workbench"
