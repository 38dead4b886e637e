"""Lending tables: legal rule sets, product versions, applications, bureau reports, decisions,
contracts. Constraints live here; the flow lives in services.py.

Caps of the law are never literals in code: they are rows of ``LegalRuleSet`` with an
effective-from date; every application and contract points at the rule set and the product
version that applied (docs/lending.md).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qaryz.clients.models import Client
from qaryz.core.encrypted import EncryptedTextField

METHODS = [("annuity", _("annuity")), ("differentiated", _("differentiated"))]
DAY_COUNTS = [("actual/365", "actual/365"), ("actual/360", "actual/360"), ("30/360", "30/360")]


class DisbursementMethod(models.TextChoices):
    CASH_DESK = "cash_desk", _("Cash at the cash desk")
    CASH_TERMINAL = "cash_terminal", _("Cash via terminal")
    BANK_ACCOUNT = "bank_account", _("Transfer to my bank account")
    CARD = "card", _("Transfer to my payment card")
    MERCHANT = "merchant", _("Payment to a partner merchant")


class LegalRuleSet(models.Model):
    """Caps and rules of the law in force from ``effective_from`` until the next rule set."""

    code = models.CharField(_("code"), max_length=50, unique=True)
    title = models.CharField(_("title"), max_length=200)
    effective_from = models.DateField(_("effective from"), unique=True)
    legal_basis = models.TextField(_("legal basis and sources"), blank=True)
    unconfirmed = models.TextField(
        _("unconfirmed values"), blank=True, help_text=_("Which values still need legal confirmation.")
    )
    max_effective_rate_percent = models.DecimalField(
        _("maximum annual effective rate, %"), max_digits=7, decimal_places=2
    )
    short_loan_max_days = models.PositiveIntegerField(
        _("short loan: maximum term, days"), null=True, blank=True
    )
    short_loan_max_mci = models.DecimalField(
        _("short loan: maximum amount, MCI"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    short_loan_max_daily_rate_percent = models.DecimalField(
        _("short loan: maximum rate per day, %"), max_digits=7, decimal_places=4, null=True, blank=True
    )
    penalty_max_daily_percent = models.DecimalField(
        _("penalty cap per day, percent of the overdue amount"), max_digits=7, decimal_places=4
    )
    penalty_high_days = models.PositiveIntegerField(_("days at the higher penalty cap"))
    penalty_after_daily_percent = models.DecimalField(
        _("penalty cap per day afterwards, %"), max_digits=7, decimal_places=4
    )
    penalty_max_annual_percent = models.DecimalField(
        _("penalties per year, maximum percent of the loan"), max_digits=7, decimal_places=2
    )
    max_amount_mci = models.DecimalField(_("maximum microcredit, MCI"), max_digits=12, decimal_places=2)
    mci_value = models.DecimalField(_("MCI value, KZT"), max_digits=12, decimal_places=2)
    debt_burden_limit = models.DecimalField(_("debt-burden limit"), max_digits=5, decimal_places=4)
    debt_burden_limit_overdue = models.DecimalField(
        _("debt-burden limit after a delay over 90 days in 12 months"), max_digits=5, decimal_places=4
    )
    cooling_off_hours = models.PositiveIntegerField(
        _("disbursement no earlier than, hours after signing"), default=0
    )
    additional_consent_required = models.BooleanField(
        _("additional consent before disbursement"), default=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("legal rule set")
        verbose_name_plural = _("legal rule sets")
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(
                name="ruleset_caps_positive",
                condition=Q(max_effective_rate_percent__gt=0)
                & Q(max_amount_mci__gt=0)
                & Q(mci_value__gt=0)
                & Q(penalty_max_daily_percent__gte=0)
                & Q(penalty_after_daily_percent__gte=0)
                & Q(penalty_max_annual_percent__gte=0),
            ),
            models.CheckConstraint(
                name="ruleset_debt_burden_range",
                condition=Q(debt_burden_limit__gt=0, debt_burden_limit__lte=1)
                & Q(debt_burden_limit_overdue__gt=0, debt_burden_limit_overdue__lte=F("debt_burden_limit")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.effective_from:%d.%m.%Y})"

    @property
    def max_amount_kzt(self) -> Decimal:
        return (self.max_amount_mci * self.mci_value).quantize(Decimal("0.01"))


class Product(models.Model):
    """One version of a loan product. A change is a new version; used versions never change."""

    code = models.SlugField(_("code"), max_length=50)
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(pgettext_lazy("lending", "name"), max_length=200)
    is_active = models.BooleanField(_("offered"), default=True)
    client_kinds = models.JSONField(_("client types"), default=list)
    min_amount = models.DecimalField(_("minimum amount, KZT"), max_digits=14, decimal_places=2)
    max_amount = models.DecimalField(_("maximum amount, KZT"), max_digits=14, decimal_places=2)
    min_term_months = models.PositiveIntegerField(_("minimum term, months"))
    max_term_months = models.PositiveIntegerField(_("maximum term, months"))
    nominal_rate_percent = models.DecimalField(_("nominal annual rate, %"), max_digits=7, decimal_places=4)
    fees = models.JSONField(_("fees"), default=list, blank=True)
    penalty_daily_percent = models.DecimalField(
        _("penalty per day, percent of the overdue amount"), max_digits=7, decimal_places=4
    )
    penalty_after_days = models.PositiveIntegerField(_("penalty reduced after, days"), default=90)
    penalty_after_daily_percent = models.DecimalField(
        _("penalty per day afterwards, %"), max_digits=7, decimal_places=4, default=Decimal("0")
    )
    allowed_methods = models.JSONField(_("schedule methods"), default=list)
    day_count = models.CharField(
        _("day-count basis"), max_length=12, choices=DAY_COUNTS, default="actual/365"
    )
    allocation_order = models.JSONField(_("repayment allocation order"), default=list)
    disbursement_methods = models.JSONField(_("disbursement methods"), default=list)
    rules_text = models.TextField(_("lending rules shown to the client"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("loan product")
        verbose_name_plural = _("loan products")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="product_code_version_unique"),
            models.CheckConstraint(
                name="product_ranges",
                condition=Q(min_amount__gt=0)
                & Q(max_amount__gte=F("min_amount"))
                & Q(min_term_months__gte=1)
                & Q(max_term_months__gte=F("min_term_months"))
                & Q(nominal_rate_percent__gte=0)
                & Q(penalty_daily_percent__gte=0)
                & Q(penalty_after_daily_percent__gte=0),
            ),
            models.CheckConstraint(
                name="product_day_count", condition=Q(day_count__in=[c for c, _ in DAY_COUNTS])
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"


class Application(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        CHECKS = "checks", _("Checks running")
        REVIEW = "review", _("Manual review")
        APPROVED = "approved", _("Approved, offer made")
        DECLINED = "declined", _("Declined")
        SIGNED = "signed", _("Contract signed")
        DISBURSED = "disbursed", _("Disbursed")
        CANCELLED = "cancelled", _("Cancelled")

    class DeclineReason(models.TextChoices):
        # The permitted reasons shown to the client (the internal rule detail stays in Decision).
        AML = "aml", _("Refused under anti-money-laundering law")
        VOLUNTARY_REFUSAL = "voluntary_refusal", _("A voluntary refusal of loans is registered")
        DEBT_BURDEN = "debt_burden", _("The debt burden would exceed the permitted limit")
        OVERDUE = "overdue", _("Existing overdue debt")
        CREDIT_POLICY = "credit_policy", _("Does not meet the MFO's lending criteria")
        LEGAL_CAP = "legal_cap", _("The loan would exceed a legal limit")

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="loan_applications")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="applications")
    rule_set = models.ForeignKey(LegalRuleSet, on_delete=models.PROTECT, related_name="applications")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    amount = models.DecimalField(_("amount, KZT"), max_digits=14, decimal_places=2)
    term_months = models.PositiveIntegerField(_("term, months"))
    method = models.CharField(_("schedule method"), max_length=20, choices=METHODS)
    disbursement_method = models.CharField(
        _("disbursement method"), max_length=20, choices=DisbursementMethod.choices, blank=True
    )
    payout_iban = EncryptedTextField(_("IBAN"), max_length=34, blank=True)  # R-3P-1, docs/records.md
    payout_card_masked = models.CharField(_("card"), max_length=19, blank=True)  # never the full PAN
    merchant = models.CharField(_("partner merchant"), max_length=200, blank=True)
    monthly_income = models.DecimalField(
        _("average monthly income, KZT"), max_digits=14, decimal_places=2, null=True
    )
    acknowledgements = models.JSONField(_("acknowledged texts"), default=dict, blank=True)
    bureau_consent_at = models.DateTimeField(_("credit bureau consent"), null=True, blank=True)
    decline_reason = models.CharField(max_length=20, choices=DeclineReason.choices, blank=True)
    effective_rate_percent = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    offer_schedule = models.JSONField(default=dict, blank=True)
    # Unique per client, not globally: one client's key can neither refuse nor reveal another's request.
    idempotency_key = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001 - NULL: no key (many rows)
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    disbursed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("loan application")
        verbose_name_plural = _("loan applications")
        ordering = ["-created_at"]
        # view_application is Django's default; deciding applications in manual review is not.
        permissions = [("decide_application", _("Can decide loan applications in manual review"))]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="application_idempotency_key_per_client",
            ),
            models.CheckConstraint(
                name="application_amount_term", condition=Q(amount__gt=0) & Q(term_months__gte=1)
            ),
            models.CheckConstraint(
                name="application_status_known",
                condition=Q(
                    status__in=[
                        "draft",
                        "submitted",
                        "checks",
                        "review",
                        "approved",
                        "declined",
                        "signed",
                        "disbursed",
                        "cancelled",
                    ]
                ),
            ),
            models.CheckConstraint(
                name="application_declined_has_reason",
                condition=~Q(status="declined") | ~Q(decline_reason=""),
            ),
            models.CheckConstraint(
                name="application_timestamps_by_status",
                condition=(Q(status__in=["draft", "cancelled"]) | Q(submitted_at__isnull=False))
                & (
                    ~Q(status__in=["approved", "declined", "signed", "disbursed"])
                    | Q(decided_at__isnull=False)
                )
                & (~Q(status__in=["signed", "disbursed"]) | Q(signed_at__isnull=False))
                & (~Q(status="disbursed") | Q(disbursed_at__isnull=False)),
            ),
            models.CheckConstraint(
                name="application_submitted_with_consent",
                condition=Q(status__in=["draft", "cancelled"]) | Q(bureau_consent_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.client} {self.amount}"


# Allowed status changes; the same table is enforced by a database trigger (migration 0002).
TRANSITIONS: dict[str, set[str]] = {
    "draft": {"submitted", "cancelled"},
    "submitted": {"checks", "cancelled"},
    "checks": {"review", "approved", "declined"},
    "review": {"approved", "declined"},
    "approved": {"signed", "cancelled", "declined"},
    "signed": {"disbursed"},
    "declined": set(),
    "disbursed": set(),
    "cancelled": set(),
}


class ApplicationEvent(models.Model):
    """Every status change with its time, shown to the client (R-CAB-4)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    at = models.DateTimeField()
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"


class BureauReport(models.Model):
    """A credit report mapped to the internal model (docs/lending.md "Credit bureau")."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="bureau_reports", null=True
    )
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="bureau_reports")
    provider = models.CharField(max_length=50)
    account = models.CharField(max_length=100)  # the named person's bureau account (R-CB-1)
    consent_at = models.DateTimeField()
    requested_at = models.DateTimeField(auto_now_add=True)
    report_id = models.CharField(max_length=100, blank=True)
    voluntary_refusal = models.BooleanField(default=False)
    active_loans = models.PositiveIntegerField(default=0)
    total_debt = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    monthly_payments = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    current_overdue_days = models.PositiveIntegerField(default=0)
    max_overdue_days_12m = models.PositiveIntegerField(default=0)
    applications_last_hour = models.PositiveIntegerField(default=0)
    raw = models.JSONField(default=dict)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.provider} {self.report_id}"


class Decision(models.Model):
    class Outcome(models.TextChoices):
        APPROVE = "approve", _("Approve")
        DECLINE = "decline", _("Decline")
        REVIEW = "review", _("Manual review")

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="decisions")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    automatic = models.BooleanField(default=True)
    score = models.IntegerField(null=True)
    engine_version = models.CharField(max_length=20)
    inputs = models.JSONField(default=dict)
    rules = models.JSONField(default=list)  # [{"rule", "outcome", "detail"}]
    decided_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.PROTECT)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                name="decision_outcome_known", condition=Q(outcome__in=["approve", "decline", "review"])
            ),
        ]

    def __str__(self) -> str:
        return f"{self.outcome} ({self.score})"


class Contract(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Awaiting signature")
        SIGNED = "signed", _("Signed")

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="contract")
    number = models.CharField(max_length=30, unique=True)
    template_version = models.CharField(max_length=30)
    language = models.CharField(max_length=2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    pdf_sha256 = models.CharField(max_length=64)
    # The exact bytes shown and signed are kept only in the records vault (R-3P-1):
    # selectors.document_pdf reads them by this id and checks them against pdf_sha256.
    vault_document_id = models.CharField(max_length=64, blank=True)
    allocation_order = models.JSONField(default=list)
    signing_request_id = models.CharField(max_length=64, blank=True)
    signature_evidence = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="contract_signed_has_time",
                condition=~Q(status="signed") | Q(signed_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.number


class ContractAmendment(models.Model):
    """A change of a signed contract's terms (term, schedule method, payment day): a supplementary
    agreement generated, checked against the caps and signed the same way as the contract
    (R-SIGN-1). The signed amendment with the highest sequence holds the schedule in force."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Awaiting signature")
        SIGNED = "signed", _("Signed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Initiator(models.TextChoices):
        CLIENT = "client", _("Requested by the client")
        MFO = "mfo", _("Proposed by the MFO")

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="amendments")
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=40, unique=True)
    initiator = models.CharField(max_length=10, choices=Initiator.choices)
    proposed_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.PROTECT)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    # {"term_months": [old, new], "method": [old, new], "payment_day": [old, new]} – changed items only
    changes = models.JSONField(default=dict)
    term_months = models.PositiveIntegerField(_("term, months"))
    method = models.CharField(_("schedule method"), max_length=20, choices=METHODS)
    payment_day = models.PositiveSmallIntegerField(_("payment day"), null=True, blank=True)
    start_date = models.DateField()  # the schedule's start (the contract's), unchanged
    schedule = models.JSONField(default=dict)  # same shape as Application.offer_schedule
    effective_rate_percent = models.DecimalField(max_digits=9, decimal_places=2)
    previous_effective_rate_percent = models.DecimalField(max_digits=9, decimal_places=2, null=True)
    rule_set = models.ForeignKey(LegalRuleSet, on_delete=models.PROTECT, related_name="amendments")
    template_version = models.CharField(max_length=30)
    language = models.CharField(max_length=2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    pdf_sha256 = models.CharField(max_length=64)
    # The exact bytes shown and signed are kept only in the records vault (R-3P-1):
    # selectors.document_pdf reads them by this id and checks them against pdf_sha256.
    vault_document_id = models.CharField(max_length=64, blank=True)
    signing_request_id = models.CharField(max_length=64, blank=True)
    signature_evidence = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["contract", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "sequence"], name="amendment_sequence_unique"),
            models.UniqueConstraint(
                fields=["contract"], condition=Q(status="draft"), name="amendment_one_draft_per_contract"
            ),
            models.CheckConstraint(
                name="amendment_status_known", condition=Q(status__in=["draft", "signed", "withdrawn"])
            ),
            models.CheckConstraint(
                name="amendment_signed_has_time", condition=~Q(status="signed") | Q(signed_at__isnull=False)
            ),
            models.CheckConstraint(
                name="amendment_withdrawn_has_time",
                condition=~Q(status="withdrawn") | Q(withdrawn_at__isnull=False),
            ),
            models.CheckConstraint(
                name="amendment_terms",
                condition=Q(term_months__gte=1)
                & (Q(payment_day__isnull=True) | Q(payment_day__gte=1, payment_day__lte=31)),
            ),
        ]

    def __str__(self) -> str:
        return self.number
