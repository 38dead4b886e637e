"""Outgoing credit-bureau reporting: who may send (R-CB-1), the daily feed snapshot, the batches sent
and what the bureau answered; and, in separate ``sim_*`` tables, the embedded bureau simulator's
own state (what a real bureau would keep on its side).

Amounts are integer tiyn, like the servicing ledger.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ResponsiblePerson(models.Model):
    """A named staff member's account at the credit bureau (R-CB-1: each account belongs to one
    named person; the list is kept, with the period in which the account may be used)."""

    class Role(models.TextChoices):
        REPORTER = "reporter", _("Sends loan data to the bureau")
        INQUIRER = "inquirer", _("Requests credit reports")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bureau_accounts"
    )
    account = models.CharField(_("bureau account"), max_length=100, unique=True)
    role = models.CharField(_("duty"), max_length=12, choices=Role.choices, default=Role.REPORTER)
    active_from = models.DateField(_("active from"))
    active_to = models.DateField(_("active to"), null=True, blank=True)  # inclusive; empty: open-ended
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("responsible person")
        verbose_name_plural = _("responsible persons")
        ordering = ["-active_from", "id"]
        permissions = [("view_reporting", _("Can view credit-bureau reporting"))]
        constraints = [
            models.CheckConstraint(
                name="bureau_person_role_known", condition=Q(role__in=["reporter", "inquirer"])
            ),
            models.CheckConstraint(
                name="bureau_person_period",
                condition=Q(active_to__isnull=True) | Q(active_to__gte=F("active_from")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account} ({self.user})"


class FeedDay(models.Model):
    """One daily feed: the snapshot is generated once per date, then sent in batches."""

    class Status(models.TextChoices):
        GENERATED = "generated", _("Generated, being sent")
        SENT = "sent", pgettext_lazy("credit-bureau feed", "Sent")

    date = models.DateField(_("date"), unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.GENERATED)
    records = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-date"]
        constraints = [
            models.CheckConstraint(
                name="bureau_feed_status_known", condition=Q(status__in=["generated", "sent"])
            )
        ]

    def __str__(self) -> str:
        return self.date.isoformat()


class Batch(models.Model):
    """Records sent together under one batch id. A batch is written (``prepared``) before it is
    sent, so a failed or interrupted send is repeated with the SAME id: the bureau deduplicates."""

    class Status(models.TextChoices):
        PREPARED = "prepared", _("Prepared, not yet acknowledged")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged by the bureau")

    batch_id = models.CharField(max_length=64, unique=True)
    feed_day = models.ForeignKey(
        FeedDay, null=True, blank=True, on_delete=models.PROTECT, related_name="batches"
    )
    person = models.ForeignKey(ResponsiblePerson, on_delete=models.PROTECT, related_name="batches")
    account = models.CharField(max_length=100)  # the account that sent it, as sent (R-CB-1)
    adapter = models.CharField(max_length=20)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PREPARED)
    reference = models.CharField(max_length=64, blank=True)  # the bureau's receipt
    records = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                name="bureau_batch_status_known", condition=Q(status__in=["prepared", "acknowledged"])
            )
        ]

    def __str__(self) -> str:
        return self.batch_id


class Record(models.Model):
    """One record for the bureau: a loan's state on a date (``daily``, written set-based by the
    feed), or a one-off suspension or correction record (Rules §13)."""

    class Kind(models.TextChoices):
        DAILY = "daily", _("Daily state")
        SUSPENSION = "suspension", _("Suspension")
        CORRECTION = "correction", _("Correction")

    class ReportedStatus(models.TextChoices):
        CURRENT = "current", _("Current")
        OVERDUE = "overdue", pgettext_lazy("credit-bureau loan status", "Overdue")
        CLOSED = "closed", _("Repaid")
        WRITTEN_OFF = "written_off", _("Written off")
        SUSPENDED = "suspended", _("Suspended (fraud case)")
        CLEARED = "cleared", _("No debt (corrected)")

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Not yet acknowledged")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    kind = models.CharField(max_length=12, choices=Kind.choices)
    feed_date = models.DateField()
    loan = models.ForeignKey("servicing.Loan", on_delete=models.PROTECT, related_name="+")
    # Idempotency of one-off records ("correction:<loan>:<source>"); daily records: unique per date.
    source_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    contract_number = models.CharField(max_length=30)
    subject_id = models.CharField(max_length=12)  # IIN or BIN of the borrower
    subject_kind = models.CharField(max_length=3)  # "iin" | "bin"
    reported_status = models.CharField(max_length=12, choices=ReportedStatus.choices)
    final = models.BooleanField(default=False)  # repaid / written off / cleared: reported until accepted
    amount = models.BigIntegerField(default=0)  # the loan's original principal
    disbursed_on = models.DateField(null=True, blank=True)
    principal = models.BigIntegerField(default=0)
    principal_overdue = models.BigIntegerField(default=0)
    interest = models.BigIntegerField(default=0)
    interest_overdue = models.BigIntegerField(default=0)
    penalty = models.BigIntegerField(default=0)
    fees_overdue = models.BigIntegerField(default=0)
    days_past_due = models.IntegerField(default=0)
    dpd_bucket = models.IntegerField(default=0)
    reason = models.CharField(max_length=300, blank=True)
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="items")
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    reject_code = models.CharField(max_length=40, blank=True)
    reject_message = models.CharField(max_length=300, blank=True)  # the bureau's own text, if any
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["feed_date", "outcome"], name="bureau_record_day_outcome"),
            models.Index(
                fields=["loan"], condition=Q(final=True, outcome="accepted"), name="bureau_record_final"
            ),
            models.Index(
                fields=["feed_date", "id"], condition=Q(batch__isnull=True), name="bureau_record_unbatched"
            ),
            # The snapshot's "has this loan a correction?" probe (a few rows, not a year of daily ones).
            models.Index(fields=["loan"], condition=Q(kind="correction"), name="bureau_record_corrections"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["feed_date", "loan"], condition=Q(kind="daily"), name="bureau_record_daily_once"
            ),
            models.CheckConstraint(
                name="bureau_record_kind_known", condition=Q(kind__in=["daily", "suspension", "correction"])
            ),
            models.CheckConstraint(
                name="bureau_record_outcome_known",
                condition=Q(outcome__in=["pending", "accepted", "rejected"]),
            ),
            models.CheckConstraint(
                name="bureau_record_amounts_not_negative",
                condition=Q(principal__gte=0)
                & Q(principal_overdue__gte=0)
                & Q(interest__gte=0)
                & Q(interest_overdue__gte=0)
                & Q(penalty__gte=0)
                & Q(fees_overdue__gte=0)
                & Q(days_past_due__gte=0),
            ),
            # Rules §13: a suspended or corrected loan is reported without any debt.
            models.CheckConstraint(
                name="bureau_record_no_debt_when_suspended",
                condition=~Q(reported_status__in=["suspended", "cleared"])
                | (
                    Q(principal=0)
                    & Q(principal_overdue=0)
                    & Q(interest=0)
                    & Q(interest_overdue=0)
                    & Q(penalty=0)
                    & Q(fees_overdue=0)
                    & Q(days_past_due=0)
                    & Q(dpd_bucket=0)
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.contract_number} {self.feed_date}"


# --- the embedded bureau simulator's own tables (adapters/embedded.py) ----------------------------


class SimAccount(models.Model):
    """Accounts the simulated bureau issued to the MFO's named persons."""

    login = models.CharField(max_length=100, unique=True)
    person_name = models.CharField(max_length=200)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.login


class SimBatch(models.Model):
    batch_id = models.CharField(max_length=64, unique=True)
    account = models.CharField(max_length=100)
    reference = models.CharField(max_length=64, unique=True)
    records = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.batch_id


class SimRecord(models.Model):
    batch = models.ForeignKey(SimBatch, on_delete=models.CASCADE, related_name="items")
    record_key = models.CharField(max_length=64)
    contract_number = models.CharField(max_length=64, blank=True)
    payload = models.JSONField()
    accepted = models.BooleanField()
    reason = models.CharField(max_length=40, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "record_key"], name="bureau_sim_record_once")]

    def __str__(self) -> str:
        return self.record_key


class SimLoanState(models.Model):
    """The bureau's latest state of a loan: an accepted record (a correction included) replaces it."""

    contract_number = models.CharField(max_length=64, unique=True)
    subject_id = models.CharField(max_length=12)
    status = models.CharField(max_length=12)
    as_of = models.DateField()
    days_past_due = models.IntegerField(default=0)
    debt = models.BigIntegerField(default=0)
    payload = models.JSONField()
    batch_id = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.contract_number
