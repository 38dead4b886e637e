"""The incident register (minimal; the back office's workbench, issue 14, builds on it): one row per
unauthorised access to secrecy information, unauthorised change or fraud with microcredits found
anywhere in the platform (Rules §13, R-FRAUD-1). Rooms report through ``services.report_incident``."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Incident(models.Model):
    class Kind(models.TextChoices):
        UNAUTHORISED_ACCESS = "unauthorised_access", _("Unauthorised access to secrecy information")
        UNAUTHORISED_CHANGE = "unauthorised_change", _("Unauthorised change of secrecy information")
        FRAUD = "fraud", _("Fraud with microcredits")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    summary = models.TextField(_("summary"))
    source = models.CharField(_("source"), max_length=120)  # the reporting object, e.g. fraud_case:12
    reported_at = models.DateTimeField(_("reported at"))
    reported_by = models.CharField(_("reported by"), max_length=150, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    # R-FRAUD-1: measures within 2 working days, the client and the authority told within 1.
    measures_due = models.DateField(_("measures due"))
    inform_due = models.DateField(_("client and authority to be informed by"))
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-reported_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "source"], name="incident_once_per_kind_and_source"),
            models.CheckConstraint(
                name="incident_kind_known",
                condition=Q(kind__in=["unauthorised_access", "unauthorised_change", "fraud"]),
            ),
            models.CheckConstraint(name="incident_status_known", condition=Q(status__in=["open", "closed"])),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.source})"
