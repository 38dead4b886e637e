"""Collections: the policy in force (contact hours, deadlines), the borrower's request for changed
terms, collection actions per loan, and write-off decisions (maker–checker).

Money is integer tiyn, as in servicing. Every deadline and hour here is configuration with an
effective date (``CollectionPolicy``): the law's figures are defaults, not literals in the code.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from qaryz.servicing.models import DelayNotice, Loan, Restructuring

WEEKDAYS = RegexValidator(r"^[1-7](,[1-7])*$", _("Weekday numbers 1–7 separated by commas, e.g. 1,2,3,4,5."))


class CollectionPolicy(models.Model):
    """The rules in force from ``effective_from``: the newest row with effective_from <= a day
    applies to that day. Defaults: notice within 10 calendar days of a delay and a 30-day window
    for changed terms (Law on microfinance, Art. 9-2, DOMAIN.md); contact hours, weekdays and the
    answer deadline are **unconfirmed** (see docs/collections.md) – configuration only."""

    effective_from = models.DateField(_("in force from"), unique=True)
    contact_from = models.TimeField(_("contacts allowed from"), default=dt.time(9, 0))
    contact_until = models.TimeField(_("contacts allowed until"), default=dt.time(20, 0))
    # ISO weekdays 1 (Monday) … 7 (Sunday), comma-separated.
    contact_weekdays = models.CharField(
        _("weekdays when contacts are allowed"),
        max_length=20,
        default="1,2,3,4,5",
        validators=[WEEKDAYS],
        help_text=_("ISO weekday numbers, comma-separated: 1 Monday … 7 Sunday."),
    )
    contact_on_holidays = models.BooleanField(_("contacts allowed on public holidays"), default=False)
    notice_deadline_days = models.PositiveSmallIntegerField(
        _("delay notice within, calendar days of the delay"), default=10
    )
    changed_terms_window_days = models.PositiveSmallIntegerField(
        _("changed terms may be asked within, calendar days of the notice"), default=30
    )
    answer_deadline_days = models.PositiveSmallIntegerField(
        _("answer to a changed-terms request within, calendar days"), default=15
    )
    note = models.CharField(_("basis / note"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("collection policy")
        verbose_name_plural = _("collection policies")
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(
                name="collection_policy_hours", condition=Q(contact_from__lt=F("contact_until"))
            ),
            models.CheckConstraint(
                name="collection_policy_days_positive",
                condition=Q(notice_deadline_days__gte=1)
                & Q(changed_terms_window_days__gte=1)
                & Q(answer_deadline_days__gte=1),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.effective_from:%d.%m.%Y}"

    @property
    def weekdays(self) -> set[int]:
        return {int(part) for part in self.contact_weekdays.split(",") if part.strip().isdigit()}


class ChangedTermsRequest(models.Model):
    """The borrower's request for changed terms after a delay notice: a back-office case with an
    answer deadline. Approved → a restructuring draft for the client to sign; refused → a letter."""

    class Status(models.TextChoices):
        OPEN = "open", _("Awaiting an answer")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    class Channel(models.TextChoices):
        WEB = "web", _("Web cabinet")
        API = "api", _("Mobile app")

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="changed_terms_requests")
    notice = models.ForeignKey(DelayNotice, on_delete=models.PROTECT, related_name="changed_terms_requests")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    wish = models.CharField(
        _("what the borrower asks for"), max_length=20, choices=Restructuring.Kind.choices
    )
    explanation = models.TextField(_("the borrower's explanation"), max_length=2000, blank=True)
    received_on = models.DateField()
    answer_due = models.DateField(_("answer due"))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    refusal_reason = models.TextField(blank=True)
    restructuring = models.ForeignKey(
        Restructuring, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    letter = models.ForeignKey(
        "messaging.Letter", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("changed-terms request")
        verbose_name_plural = _("changed-terms requests")
        ordering = ["answer_due", "id"]
        permissions = [("answer_changed_terms", _("Can answer borrowers' requests for changed terms"))]
        constraints = [
            models.UniqueConstraint(fields=["notice"], name="changed_terms_once_per_notice"),
            models.CheckConstraint(
                name="changed_terms_status_known", condition=Q(status__in=["open", "approved", "refused"])
            ),
            models.CheckConstraint(
                name="changed_terms_refusal_has_reason",
                condition=~Q(status="refused") | ~Q(refusal_reason=""),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.received_on}"


class CollectionAction(models.Model):
    """One collection contact with a borrower: an SMS reminder or a call logged by staff."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("SMS reminder")
        CALL = "call", _("Call")

    class Outcome(models.TextChoices):
        SENT = "sent", _("Reminder sent")
        NOT_DELIVERED = "not_delivered", _("SMS not delivered")
        PROMISE = "promise", _("Promised to pay")
        REACHED = "reached", _("Reached, no promise")
        NO_ANSWER = "no_answer", _("No answer")
        WRONG_NUMBER = "wrong_number", _("Wrong number")
        REFUSED = "refused", _("Refuses to pay")

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="collection_actions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    note = models.TextField(blank=True, max_length=2000)
    promised_on = models.DateField(null=True, blank=True)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        verbose_name = _("collection action")
        verbose_name_plural = _("collection actions")
        ordering = ["-at", "-id"]
        permissions = [("log_collection_action", _("Can send collection reminders and log calls"))]
        indexes = [models.Index(fields=["loan", "at"], name="collection_action_loan")]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.kind} {self.at:%Y-%m-%d}"


class WriteOffDecision(models.Model):
    """A decision to write a loan's debt off: proposed by one staff member (the maker) with the
    amounts on the day, approved by another (the checker, never the maker – DB constraint too)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Awaiting approval")
        APPROVED = "approved", _("Approved, written off")
        REJECTED = "rejected", _("Rejected")

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="write_off_decisions")
    reason = models.TextField(_("reason"), max_length=2000)
    source = models.CharField(max_length=80, blank=True)  # e.g. fraud_case:<id> (another room's case)
    # What the maker saw (tiyn); approval writes off what is owed at approval and records it too.
    amounts = models.JSONField(default=dict)
    written_off = models.JSONField(default=dict, blank=True)
    maker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    letter = models.ForeignKey(
        "messaging.Letter", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("write-off decision")
        verbose_name_plural = _("write-off decisions")
        ordering = ["-proposed_at", "-id"]
        permissions = [
            ("propose_write_off", _("Can propose writing a loan off")),
            ("approve_write_off", _("Can approve writing a loan off")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["loan"],
                condition=Q(status__in=["proposed", "approved"]),
                name="write_off_one_live_per_loan",
            ),
            models.CheckConstraint(name="write_off_four_eyes", condition=~Q(checker=F("maker"))),
            models.CheckConstraint(
                name="write_off_status_known", condition=Q(status__in=["proposed", "approved", "rejected"])
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.status}"

    @property
    def total(self) -> int:
        return sum(int(v) for v in self.amounts.values())
