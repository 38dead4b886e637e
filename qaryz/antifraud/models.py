"""Antifraud (R-AF-1): rule sets as versioned data, every evaluated event with its hits, alerts,
holds that suspend an operation until a security officer decides, cases, and the outbox to the
NBRK antifraud centre. Written only by ``services``."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qaryz.antifraud import kinds

OUTCOME_CHOICES = [(k, v) for k, v in kinds.OUTCOMES.items()]
EVENT_CHOICES = [(k, v) for k, v in kinds.EVENT_KINDS.items()]
RULE_KIND_CHOICES = [(k.code, k.label) for k in kinds.KINDS.values()]


class RuleSet(models.Model):
    """One version of the rules: draft → pending approval → active → retired. The approver is
    never the maker (checked by ``services`` and by the database)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PENDING = "pending", _("Awaiting approval")
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")

    version = models.PositiveIntegerField(_("version"), unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    # score thresholds: the sum of the weights of the rules hit raises the outcome to at least
    review_score = models.PositiveIntegerField(_("score for a review"), default=50)
    hold_score = models.PositiveIntegerField(_("score for a hold"), default=80)
    decline_score = models.PositiveIntegerField(_("score for a decline"), default=150)
    created_by = models.ForeignKey("auth.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("rule set")
        verbose_name_plural = _("rule sets")
        ordering = ["-version"]
        permissions = [
            ("edit_ruleset", _("Can edit antifraud rule drafts and submit them")),
            ("approve_ruleset", _("Can approve antifraud rule sets (never one's own)")),
        ]
        constraints = [
            models.CheckConstraint(
                name="ruleset_status_known", condition=Q(status__in=["draft", "pending", "active", "retired"])
            ),
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="active"), name="ruleset_one_active"
            ),
            # maker-checker: an approved version names an approver who neither made nor submitted it
            models.CheckConstraint(
                name="ruleset_approver_not_maker",
                condition=Q(approved_by__isnull=True)
                | (~Q(approved_by=F("created_by")) & ~Q(approved_by=F("submitted_by"))),
            ),
            models.CheckConstraint(
                name="ruleset_active_is_approved",
                condition=~Q(status__in=["active", "retired"]) | Q(approved_by__isnull=False),
            ),
            models.CheckConstraint(
                name="ruleset_thresholds_ordered",
                condition=Q(review_score__lte=F("hold_score")) & Q(hold_score__lte=F("decline_score")),
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"


class Rule(models.Model):
    ruleset = models.ForeignKey(RuleSet, on_delete=models.CASCADE, related_name="rules")
    code = models.SlugField(_("code"), max_length=40)
    title = models.CharField(_("title"), max_length=120, blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=RULE_KIND_CHOICES)
    event_kinds = models.JSONField(_("events"), default=list, blank=True)  # empty: every event
    params = models.JSONField(_("parameters"), default=dict)
    weight = models.PositiveIntegerField(_("weight"), default=0)
    outcome = models.CharField(_("outcome"), max_length=10, choices=OUTCOME_CHOICES)
    added_by = models.ForeignKey("auth.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["ruleset", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ruleset", "code"], name="rule_code_unique"),
            models.CheckConstraint(name="rule_outcome_known", condition=Q(outcome__in=list(kinds.OUTCOMES))),
            models.CheckConstraint(name="rule_kind_known", condition=Q(kind__in=list(kinds.KINDS))),
            models.CheckConstraint(
                name="rule_mismatch_blocks",
                condition=~Q(kind="source_mismatch") | Q(outcome__in=["hold", "decline"]),
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Event(models.Model):
    """One evaluated event (kept for the back-test); the indexed columns are the aggregates' keys."""

    kind = models.CharField(_("event"), max_length=20, choices=EVENT_CHOICES)
    occurred_at = models.DateTimeField(_("time"))
    ts = models.BigIntegerField()  # occurred_at in epoch seconds: the back-test's window key
    # no FK indexes of their own: (client, kind, ts) serves the client's lookups; every index is
    # paid on each insert of the live evaluation
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    subject = models.CharField(max_length=80, blank=True)  # the operation, e.g. "contract:12"
    iin = models.CharField(max_length=12, blank=True)
    phone = models.CharField(max_length=16, blank=True)
    device_id = models.CharField(max_length=100, blank=True)
    ip = models.CharField(max_length=45, blank=True)
    iban = models.CharField(max_length=34, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    country = models.CharField(max_length=2, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    ruleset = models.ForeignKey(
        RuleSet, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    score = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=10, choices=OUTCOME_CHOICES, default=kinds.APPROVE)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["iin", "ts"], name="afevent_iin_ts"),
            models.Index(fields=["phone", "ts"], name="afevent_phone_ts"),
            models.Index(fields=["device_id", "ts"], name="afevent_device_ts"),
            models.Index(fields=["ip", "ts"], name="afevent_ip_ts"),
            models.Index(fields=["iban", "ts"], name="afevent_iban_ts"),
            models.Index(fields=["client", "kind", "ts"], name="afevent_client_kind_ts"),
            models.Index(fields=["ts"], name="afevent_ts"),
        ]
        constraints = [
            models.CheckConstraint(name="afevent_kind_known", condition=Q(kind__in=list(kinds.EVENT_KINDS))),
        ]

    def __str__(self) -> str:
        return f"{self.kind}#{self.pk}"


class Hit(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="hits")
    rule = models.ForeignKey(Rule, on_delete=models.PROTECT, related_name="hits")
    detail = models.JSONField(default=dict, blank=True)  # the value that crossed the threshold

    class Meta:
        ordering = ["event", "id"]
        constraints = [models.UniqueConstraint(fields=["event", "rule"], name="hit_unique")]

    def __str__(self) -> str:
        return f"{self.event_id}/{self.rule_id}"


class Case(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("antifraud", "Open")
        INVESTIGATING = "investigating", _("Under investigation")
        CLOSED = "closed", _("Closed")

    class Outcome(models.TextChoices):
        NONE = "", _("Not decided")
        CONFIRMED = "confirmed_fraud", _("Confirmed fraud")
        FALSE_POSITIVE = "false_positive", pgettext_lazy("antifraud", "False positive")

    number = models.CharField(_("case number"), max_length=20, unique=True)
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=15, choices=Status.choices, default=Status.OPEN)
    assigned_to = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    loss = models.BigIntegerField(_("losses, tiyn"), default=0)
    findings = models.TextField(_("findings"), blank=True)
    opened_by = models.ForeignKey("auth.User", on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("antifraud case")
        verbose_name_plural = _("antifraud cases")
        ordering = ["-opened_at", "-id"]
        permissions = [("manage_case", _("Can open, assign and close antifraud cases"))]
        constraints = [
            models.CheckConstraint(
                name="afcase_status_known", condition=Q(status__in=["open", "investigating", "closed"])
            ),
            models.CheckConstraint(
                name="afcase_closed_has_outcome",
                condition=(Q(status="closed") & ~Q(outcome="")) | (~Q(status="closed") & Q(outcome="")),
            ),
            models.CheckConstraint(name="afcase_loss_not_negative", condition=Q(loss__gte=0)),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def loss_tenge(self) -> str:
        from decimal import Decimal

        from django.utils.translation import get_language

        from qaryz.core.money import format_money

        return format_money(Decimal(self.loss) / 100, (get_language() or "ru")[:2])


class Alert(models.Model):
    """An event whose decision was review, hold or decline: staff look at it."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("antifraud", "Open")
        IN_CASE = "in_case", _("In a case")
        DISMISSED = "dismissed", _("Dismissed")

    event = models.OneToOneField(Event, on_delete=models.PROTECT, related_name="alert")
    outcome = models.CharField(_("decision"), max_length=10, choices=OUTCOME_CHOICES)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("antifraud alert")
        verbose_name_plural = _("antifraud alerts")
        ordering = ["-created_at", "-id"]
        permissions = [("view_alerts", _("Can see antifraud alerts, holds and cases"))]
        indexes = [models.Index(fields=["status", "created_at"], name="afalert_status_created")]
        constraints = [
            models.CheckConstraint(name="afalert_not_approve", condition=~Q(outcome="approve")),
            models.CheckConstraint(
                name="afalert_case_status",
                condition=Q(status="in_case", case__isnull=False)
                | (~Q(status="in_case") & Q(case__isnull=True)),
            ),
        ]

    def __str__(self) -> str:
        return f"alert {self.pk}"


class Hold(models.Model):
    """An operation suspended until a security officer releases or declines it. A released hold
    lets the same operation (client, event, subject) through once."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting a decision")
        RELEASED = "released", _("Released")
        DECLINED = "declined", _("Declined")

    alert = models.OneToOneField(Alert, on_delete=models.PROTECT, related_name="hold")
    client = models.ForeignKey(
        "clients.Client", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    event_kind = models.CharField(_("operation"), max_length=20, choices=EVENT_CHOICES)
    subject = models.CharField(max_length=80, blank=True)
    key = models.CharField(max_length=120)  # who+what it holds, see services.hold_key
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)  # the released operation went through
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("decide_hold", _("Can release or decline held operations"))]
        indexes = [models.Index(fields=["key", "status"], name="afhold_key_status")]
        constraints = [
            models.CheckConstraint(
                name="afhold_status_known", condition=Q(status__in=["pending", "released", "declined"])
            ),
            models.UniqueConstraint(fields=["key"], condition=Q(status="pending"), name="afhold_one_pending"),
            models.CheckConstraint(
                name="afhold_decided_by_someone",
                condition=Q(status="pending") | Q(decided_by__isnull=False, decided_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"hold {self.pk}"


class Report(models.Model):
    """Outbox to the NBRK antifraud centre: an alert or a confirmed fraud, and how it went."""

    class Kind(models.TextChoices):
        ALERT = "alert", _("Alert")
        FRAUD = "fraud", _("Confirmed fraud")

    class Status(models.TextChoices):
        PENDING = "pending", _("Not sent yet")
        ACCEPTED = "accepted", _("Accepted by the centre")
        REJECTED = "rejected", _("Rejected by the centre")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    key = models.CharField(max_length=60, unique=True)  # idempotency key at the centre
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reference = models.CharField(max_length=60, blank=True)
    error = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.key


class SimCentreMessage(models.Model):
    """The embedded NBRK centre simulator's own store of what it received (its side)."""

    key = models.CharField(max_length=60, unique=True)
    kind = models.CharField(max_length=10)
    payload = models.JSONField()
    accepted = models.BooleanField()
    reason = models.CharField(max_length=40, blank=True)
    reference = models.CharField(max_length=60, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_at", "id"]

    def __str__(self) -> str:
        return self.key
