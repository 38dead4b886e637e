"""The incident register (R-INC-1, Rules §13, R-FRAUD-1): one row per unauthorised access to
secrecy information, unauthorised change, fraud with microcredits or outage of the information
system, with its deadlines in working days, the clients it affected, the notices it produced (to
the authority, to clients, to creditors and service providers – seed 001 §34) and its recovery
steps up to the confirmation of the normal state (seed 001 §35). Written only by ``services``."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Incident(models.Model):
    class Kind(models.TextChoices):
        UNAUTHORISED_ACCESS = "unauthorised_access", _("Unauthorised access to secrecy information")
        UNAUTHORISED_CHANGE = "unauthorised_change", _("Unauthorised change of secrecy information")
        FRAUD = "fraud", _("Fraud with microcredits")
        OUTAGE = "outage", _("Outage of the information system")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("incident status", "Open")
        CLOSED = "closed", pgettext_lazy("incident status", "Closed")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    summary = models.TextField(_("summary"))
    source = models.CharField(_("source"), max_length=120)  # the reporting object, e.g. fraud_case:12
    reported_at = models.DateTimeField(_("reported at"))
    reported_by = models.CharField(_("reported by"), max_length=150, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    # R-FRAUD-1 / R-INC-1: measures within 2 working days, the client and the authority told within 1.
    measures_due = models.DateField(_("measures due"))
    inform_due = models.DateField(_("client and authority to be informed by"))
    closed_at = models.DateTimeField(null=True, blank=True)
    # The critical asset it concerns (R-RISK-1: the past-incident frequency of the risk register).
    asset = models.ForeignKey(
        "risks.Asset",
        verbose_name=_("asset"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents",
    )
    measures = models.TextField(_("measures taken"), blank=True)
    measures_taken_at = models.DateTimeField(_("measures taken at"), null=True, blank=True)
    normal_state_confirmed_at = models.DateTimeField(_("normal state confirmed at"), null=True, blank=True)
    normal_state_confirmed_by = models.CharField(max_length=150, blank=True)
    normal_state_evidence = models.TextField(_("how the normal state was checked"), blank=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-reported_at", "-id"]
        permissions = [("manage_incident", _("Can register incidents, send their notices and recover"))]
        constraints = [
            models.UniqueConstraint(fields=["kind", "source"], name="incident_once_per_kind_and_source"),
            models.CheckConstraint(
                name="incident_kind_known",
                condition=Q(kind__in=["unauthorised_access", "unauthorised_change", "fraud", "outage"]),
            ),
            models.CheckConstraint(name="incident_status_known", condition=Q(status__in=["open", "closed"])),
            # closed only after the normal state was confirmed (seed 001 §35)
            models.CheckConstraint(
                name="incident_closed_after_normal_state",
                condition=Q(status="open") | Q(normal_state_confirmed_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} – {self.get_kind_display()}" if self.pk else str(self.get_kind_display())

    @property
    def number(self) -> str:
        return f"INC-{self.reported_at:%Y}-{self.pk:04d}"


class AffectedClient(models.Model):
    """A client whose data or loans the incident touched; informed by a letter (R-INC-1)."""

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="affected")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    letter_id = models.BigIntegerField(null=True, blank=True)  # messaging.Letter
    informed_at = models.DateTimeField(_("informed at"), null=True, blank=True)
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [models.UniqueConstraint(fields=["incident", "client"], name="incident_client_once")]

    def __str__(self) -> str:
        return f"{self.incident_id}/{self.client_id}"


class Notice(models.Model):
    """A generated notification letter to an outside party (the authority, a creditor or investor,
    a service provider): the text is kept as generated; staff send it and record when and how."""

    class Recipient(models.TextChoices):
        AUTHORITY = "authority", _("The authority (ARDFM)")
        CREDITOR = "creditor", _("Creditor or investor")
        SERVICE_PROVIDER = "service_provider", _("Service provider")

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="notices")
    recipient_kind = models.CharField(_("recipient"), max_length=20, choices=Recipient.choices)
    recipient_name = models.CharField(_("recipient's name"), max_length=200)
    language = models.CharField(_("language"), max_length=2, default="ru")
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_reference = models.CharField(_("outgoing number or channel"), max_length=120, blank=True)
    # sent by the system's e-mail (messaging.mail): to whom and the message id; every attempt,
    # failed ones too, is a messaging.MailDelivery with reference "incidents.notice:<id>"
    sent_to = models.CharField(_("sent to"), max_length=254, blank=True)
    message_id = models.CharField(_("message id"), max_length=250, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="incident_notice_recipient_known",
                condition=Q(recipient_kind__in=["authority", "creditor", "service_provider"]),
            ),
            models.CheckConstraint(
                name="incident_notice_sent_with_reference",
                condition=Q(sent_at__isnull=True) | ~Q(sent_reference=""),
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class RecoveryStep(models.Model):
    """One step of the recovery (seed 001 §35): removing the consequences, restoring systems and
    data, closing the vulnerability used."""

    class Kind(models.TextChoices):
        CONSEQUENCES = "consequences", _("Remove the consequences")
        RESTORE = "restore", _("Restore systems and data")
        VULNERABILITY = "vulnerability", _("Find and close the vulnerability used")
        OTHER = "other", _("Other step")

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="steps")
    kind = models.CharField(_("step"), max_length=20, choices=Kind.choices)
    description = models.CharField(_("what to do"), max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.CharField(max_length=150, blank=True)
    result = models.CharField(_("result"), max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="incident_step_kind_known",
                condition=Q(kind__in=["consequences", "restore", "vulnerability", "other"]),
            ),
        ]

    def __str__(self) -> str:
        return self.description
