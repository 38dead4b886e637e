"""Fraud-victim cases (Rules §13, R-FRAUD-2..4): a law-enforcement submission or a resolution
recognising the borrower as a victim, the loans it concerns, its documents (in the vault), and
each step with its deadline – suspension, resumption when the proceeding is dropped, and the
measures after a court verdict. Written only by ``services``."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class FraudCase(models.Model):
    class Kind(models.TextChoices):
        SUBMISSION = "submission", _("Submission of the investigator (CPC art. 200)")
        VICTIM_RESOLUTION = (
            "victim_resolution",
            _("Resolution recognising the borrower as a victim (CPC art. 71)"),
        )
        CLIENT_STATEMENT = "client_statement", _("The client's own statement with the resolution")

    class Status(models.TextChoices):
        REGISTERED = "registered", _("Registered, suspension due")
        SUSPENDED = "suspended", _("Loans suspended")
        RESUMED = "resumed", _("Proceeding dropped, loans resumed")
        VERDICT = "verdict", _("Court verdict: measures due")
        CLOSED = "closed", _("Measures after the verdict carried out")

    number = models.CharField(_("case number"), max_length=30, unique=True)
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="fraud_cases")
    kind = models.CharField(_("document received"), max_length=20, choices=Kind.choices)
    received_on = models.DateField(_("date received"))
    authority = models.CharField(pgettext_lazy("fraudcases", "authority"), max_length=200)
    reference_number = models.CharField(_("reference number"), max_length=100)
    document_date = models.DateField(_("document date"), null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.REGISTERED)

    # Step 1 (R-FRAUD-2): suspension within N days of receipt; the rule is kept as applied.
    suspension_due = models.DateField(_("suspension due"))
    suspension_days = models.PositiveSmallIntegerField()
    suspension_day_kind = models.CharField(max_length=10)  # working | calendar
    suspended_on = models.DateField(_("suspended on"), null=True, blank=True)
    notice_letter_id = models.BigIntegerField(null=True, blank=True)  # messaging.Letter

    # Step 2 (R-FRAUD-3): the submission/resolution cancelled, loans resumed.
    cancelled_on = models.DateField(_("cancelled on"), null=True, blank=True)
    cancellation_reference = models.CharField(_("cancellation reference"), max_length=100, blank=True)
    back_accrue = models.BooleanField(_("interest accrued for the suspended period"), null=True, blank=True)
    resumed_on = models.DateField(_("resumed on"), null=True, blank=True)

    # Step 3 (R-FRAUD-4): court verdict in force, measures within N working days.
    verdict_on = models.DateField(_("verdict in force on"), null=True, blank=True)
    verdict_court = models.CharField(_("court"), max_length=200, blank=True)
    verdict_reference = models.CharField(_("verdict number"), max_length=100, blank=True)
    verdict_due = models.DateField(_("measures due"), null=True, blank=True)
    verdict_days = models.PositiveSmallIntegerField(null=True, blank=True)
    verdict_day_kind = models.CharField(max_length=10, blank=True)
    verdict_done_on = models.DateField(_("measures carried out on"), null=True, blank=True)

    overdue_flagged_at = models.DateTimeField(null=True, blank=True)  # the nightly check
    registered_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("fraud-victim case")
        verbose_name_plural = _("fraud-victim cases")
        ordering = ["-received_on", "-id"]
        permissions = [("manage_fraudcase", _("Can register fraud-victim cases and carry out their steps"))]
        indexes = [models.Index(fields=["status", "suspension_due"], name="fraudcase_status_due")]
        constraints = [
            models.CheckConstraint(
                name="fraudcase_kind_known",
                condition=Q(kind__in=["submission", "victim_resolution", "client_statement"]),
            ),
            models.CheckConstraint(
                name="fraudcase_status_known",
                condition=Q(status__in=["registered", "suspended", "resumed", "verdict", "closed"]),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def reference(self) -> str:
        """The vault / letters reference of the case's documents."""
        return f"fraudcases.case:{self.pk}"

    @property
    def source(self) -> str:
        """How other rooms (bureau, collections, incidents) name the case."""
        return f"fraud_case:{self.pk}"


class Outcome(models.TextChoices):
    """What happened to a measure another room carries out."""

    PENDING = "", _("Not yet")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Not carried out: that module is not installed")
    NOT_APPLICABLE = "n/a", _("Not needed")


class CaseLoan(models.Model):
    """One loan of a case and what each step did to it."""

    case = models.ForeignKey(FraudCase, on_delete=models.PROTECT, related_name="case_loans")
    loan = models.ForeignKey("servicing.Loan", on_delete=models.PROTECT, related_name="fraud_case_loans")
    suspended_from = models.DateField(null=True, blank=True)
    bureau_suspension = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    resumed_on = models.DateField(null=True, blank=True)
    shift_days = models.PositiveIntegerField(default=0)
    back_accrued = models.BigIntegerField(default=0)  # tiyn
    write_off = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    write_off_reference = models.CharField(max_length=64, blank=True)
    bureau_correction = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    refund_amount = models.BigIntegerField(default=0)  # tiyn made refundable by the verdict
    refund_error = models.CharField(max_length=300, blank=True)  # why the refund could not be sent yet

    class Meta:
        ordering = ["case", "loan"]
        constraints = [models.UniqueConstraint(fields=["case", "loan"], name="caseloan_unique")]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.loan_id}"


class CaseDocument(models.Model):
    """A document of the case kept in the vault (owner: the client)."""

    case = models.ForeignKey(FraudCase, on_delete=models.PROTECT, related_name="documents")
    document_id = models.UUIDField()  # records.StoredDocument
    filename = models.CharField(max_length=255)
    description = models.CharField(max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.filename
