"""Two registers, written only by ``services``:

* fraud-risk management (R-AF-2, seed 002 §6): the fraud-risk register with early-warning
  indicators, owner and mitigation, client complaints linked to cases, internal investigations
  with findings, and the store of realised fraud with its losses;
* information-security risks of critical assets (R-RISK-1, seed 000 §14–23): assets with their
  possible losses against the materiality threshold, and per asset the threats with their source,
  vulnerability, existing controls, the experts' likelihood estimates, the impact on C/I/A and the
  treatment plan.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

SCALE = [MinValueValidator(1), MaxValueValidator(5)]


def _scale(field: str) -> Q:
    return Q(**{f"{field}__gte": 1, f"{field}__lte": 5})


class RiskStatus(models.TextChoices):
    IDENTIFIED = "identified", _("Identified")
    TREATING = "treating", _("Treatment in progress")
    ACCEPTED = "accepted", pgettext_lazy("risk status", "Accepted")
    CLOSED = "closed", _("Closed")


STATUSES = ["identified", "treating", "accepted", "closed"]


class FraudRisk(models.Model):
    title = models.CharField(_("risk"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    indicators = models.TextField(_("early-warning indicators"))
    likelihood = models.PositiveSmallIntegerField(_("likelihood (1–5)"), validators=SCALE)
    impact = models.PositiveSmallIntegerField(_("impact (1–5)"), validators=SCALE)
    owner = models.CharField(_("owner"), max_length=150)
    mitigation = models.TextField(_("mitigation"))
    status = models.CharField(
        _("status"), max_length=12, choices=RiskStatus.choices, default=RiskStatus.IDENTIFIED
    )
    review_on = models.DateField(_("next review"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("fraud risk")
        ordering = ["-likelihood", "-impact", "id"]
        permissions = [
            ("view_registers", _("Can read the risk registers")),
            ("manage_fraud_risks", _("Can keep the fraud-risk register, complaints and investigations")),
            ("manage_security_risks", _("Can keep the information-security risk register")),
        ]
        constraints = [
            models.CheckConstraint(name="fraudrisk_likelihood_1_5", condition=_scale("likelihood")),
            models.CheckConstraint(name="fraudrisk_impact_1_5", condition=_scale("impact")),
            models.CheckConstraint(name="fraudrisk_status_known", condition=Q(status__in=STATUSES)),
        ]

    def __str__(self) -> str:
        return self.title


class Complaint(models.Model):
    """A client's complaint about possible fraud, linked to a fraud-victim case (by id) or to any
    other object by a reference such as ``correspondence.thread:5``."""

    class Status(models.TextChoices):
        OPEN = "open", _("Under review")
        ANSWERED = "answered", _("Answered")

    received_on = models.DateField(_("received on"))
    client = models.ForeignKey(
        "clients.Client",
        verbose_name=_("client"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    summary = models.TextField(_("what the client says"))
    fraud_case = models.ForeignKey(
        "fraudcases.FraudCase",
        verbose_name=_("fraud-victim case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reference = models.CharField(_("other reference"), max_length=120, blank=True)
    fraud_risk = models.ForeignKey(
        FraudRisk,
        verbose_name=_("fraud risk"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    answer = models.TextField(_("answer"), blank=True)
    answered_on = models.DateField(_("answered on"), null=True, blank=True)

    class Meta:
        ordering = ["-received_on", "-id"]
        constraints = [
            models.CheckConstraint(
                name="complaint_status_known", condition=Q(status__in=["open", "answered"])
            ),
            models.CheckConstraint(
                name="complaint_answered_with_text", condition=Q(status="open") | ~Q(answer="")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.received_on:%d.%m.%Y} – {self.summary[:60]}"


class Investigation(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("In progress")
        CLOSED = "closed", _("Completed")

    title = models.CharField(_("subject"), max_length=200)
    opened_on = models.DateField(_("opened on"))
    investigator = models.CharField(_("investigator"), max_length=150)
    fraud_risk = models.ForeignKey(
        FraudRisk,
        verbose_name=_("fraud risk"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="investigations",
    )
    complaint = models.ForeignKey(
        Complaint,
        verbose_name=_("complaint"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="investigations",
    )
    fraud_case = models.ForeignKey(
        "fraudcases.FraudCase",
        verbose_name=_("fraud-victim case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    findings = models.TextField(_("findings"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    closed_on = models.DateField(_("completed on"), null=True, blank=True)

    class Meta:
        ordering = ["-opened_on", "-id"]
        constraints = [
            models.CheckConstraint(
                name="investigation_status_known", condition=Q(status__in=["open", "closed"])
            ),
            models.CheckConstraint(
                name="investigation_closed_with_findings",
                condition=Q(status="open") | (~Q(findings="") & Q(closed_on__isnull=False)),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class RealisedFraud(models.Model):
    """A fraud risk that happened: what, when, the loss and what was recovered (tiyn)."""

    occurred_on = models.DateField(_("occurred on"))
    description = models.TextField(_("what happened"))
    fraud_risk = models.ForeignKey(
        FraudRisk,
        verbose_name=_("fraud risk"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="realised",
    )
    fraud_case = models.ForeignKey(
        "fraudcases.FraudCase",
        verbose_name=_("fraud-victim case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    incident = models.ForeignKey(
        "incidents.Incident",
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    loss = models.BigIntegerField(_("loss"))  # tiyn
    recovered = models.BigIntegerField(_("recovered"), default=0)  # tiyn
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        constraints = [
            models.CheckConstraint(
                name="realised_loss_not_negative", condition=Q(loss__gte=0) & Q(recovered__gte=0)
            ),
            models.CheckConstraint(
                name="realised_recovered_le_loss", condition=Q(recovered__lte=models.F("loss"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_on:%d.%m.%Y} – {self.description[:60]}"


class Asset(models.Model):
    """An information asset; critical when the possible losses reach the materiality threshold."""

    class Kind(models.TextChoices):
        SYSTEM = "system", _("Information system")
        DATA = "data", _("Data")
        SERVICE = "service", _("Service")
        INFRASTRUCTURE = "infrastructure", _("Infrastructure")

    name = models.CharField(_("asset"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    owner = models.CharField(_("owner"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    possible_loss = models.BigIntegerField(_("possible losses from a breach, tenge"))

    class Meta:
        ordering = ["-possible_loss", "name"]
        constraints = [
            models.CheckConstraint(
                name="asset_kind_known", condition=Q(kind__in=["system", "data", "service", "infrastructure"])
            ),
            models.CheckConstraint(name="asset_loss_not_negative", condition=Q(possible_loss__gte=0)),
        ]

    def __str__(self) -> str:
        return self.name


class SecurityRisk(models.Model):
    class SourceKind(models.TextChoices):
        INTERNAL = "internal", _("Internal")
        EXTERNAL = "external", _("External")

    asset = models.ForeignKey(Asset, verbose_name=_("asset"), on_delete=models.PROTECT, related_name="risks")
    threat = models.CharField(_("threat"), max_length=200)
    source_kind = models.CharField(_("source of the threat"), max_length=10, choices=SourceKind.choices)
    source = models.CharField(_("who or what"), max_length=200)
    vulnerability = models.TextField(_("vulnerability"))
    controls = models.TextField(_("existing controls"), blank=True)
    impact_confidentiality = models.PositiveSmallIntegerField(_("confidentiality (1–5)"), validators=SCALE)
    impact_integrity = models.PositiveSmallIntegerField(_("integrity (1–5)"), validators=SCALE)
    impact_availability = models.PositiveSmallIntegerField(_("availability (1–5)"), validators=SCALE)
    treatment = models.TextField(_("treatment plan"), blank=True)
    treatment_owner = models.CharField(_("responsible"), max_length=150, blank=True)
    treatment_due = models.DateField(_("treatment due"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=RiskStatus.choices, default=RiskStatus.IDENTIFIED
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["asset__name", "id"]
        constraints = [
            models.CheckConstraint(
                name="secrisk_source_known", condition=Q(source_kind__in=["internal", "external"])
            ),
            models.CheckConstraint(name="secrisk_c_1_5", condition=_scale("impact_confidentiality")),
            models.CheckConstraint(name="secrisk_i_1_5", condition=_scale("impact_integrity")),
            models.CheckConstraint(name="secrisk_a_1_5", condition=_scale("impact_availability")),
            models.CheckConstraint(name="secrisk_status_known", condition=Q(status__in=STATUSES)),
        ]

    def __str__(self) -> str:
        return f"{self.asset}: {self.threat}"


class LikelihoodEstimate(models.Model):
    """One expert's estimate of a threat's likelihood; the highest one counts (seed 000 §22)."""

    risk = models.ForeignKey(SecurityRisk, on_delete=models.PROTECT, related_name="estimates")
    expert = models.CharField(_("expert"), max_length=150)
    value = models.PositiveSmallIntegerField(_("likelihood (1–5)"), validators=SCALE)
    rationale = models.CharField(_("rationale"), max_length=300, blank=True)
    estimated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-value", "expert"]
        constraints = [
            models.UniqueConstraint(fields=["risk", "expert"], name="estimate_once_per_expert"),
            models.CheckConstraint(name="estimate_1_5", condition=_scale("value")),
        ]

    def __str__(self) -> str:
        return f"{self.expert}: {self.value}"
