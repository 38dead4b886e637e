"""Servicing tables: loans, their schedules, the double-entry ledger, payouts and payments.

Money here is an integer number of tiyn (1 KZT = 100 tiyn) in ``BigIntegerField``s: exact on
PostgreSQL and SQLite alike, so that the close of business can do its arithmetic in SQL
(docs/servicing.md "Money in tiyn"). ``qaryz.servicing.amounts`` converts at the edges.

The ledger is a journal of **transfers**: each row debits one account and credits another by the
same positive amount, so every row is balanced by construction (the schema cannot express an
unbalanced one: one amount, two distinct accounts, a CHECK); an operation that touches several
accounts (a repayment split into principal, interest, penalty) is several transfers sharing one
``entry``. Transfers are append-only (database triggers, as the audit trail); a correction is a
reversing transfer. A loan's balances are the sums of its transfers; the ``Loan`` row caches them
and ``manage.py check_ledger`` recomputes every cached figure from the transfers.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qaryz.clients.models import BankAccount, Client
from qaryz.lending.models import Application, Contract, LegalRuleSet, Product


class AccountKind(models.TextChoices):
    # Per-loan sub-ledger accounts (assets of the MFO unless noted); their balances are cached on Loan.
    PRINCIPAL_CURRENT = "principal_current", _("Principal not yet due")
    PRINCIPAL_OVERDUE = "principal_overdue", _("Overdue principal")
    INTEREST_ACCRUED = "interest_accrued", _("Accrued interest not yet due")
    INTEREST_OVERDUE = "interest_overdue", _("Overdue interest")
    PENALTY = "penalty", _("Penalty receivable")
    FEE_OVERDUE = "fee_overdue", _("Overdue fees")
    ADVANCE = "advance", _("Advance received (liability)")
    REFUND_PAYABLE = "refund_payable", _("Refund payable (liability)")
    # MFO-level accounts.
    INTEREST_INCOME = "interest_income", _("Interest income")
    PENALTY_INCOME = "penalty_income", _("Penalty income")
    FEE_INCOME = "fee_income", _("Fee income")
    CLEARING = "clearing", _("Cash and bank clearing")
    SUSPENSE = "suspense", _("Suspense")
    WRITE_OFF = "write_off", _("Write-off expense")


# Loan balance columns, with the sign of a debit on them (+1 asset, -1 liability).
LOAN_BALANCES: dict[str, int] = {
    AccountKind.PRINCIPAL_CURRENT: 1,
    AccountKind.PRINCIPAL_OVERDUE: 1,
    AccountKind.INTEREST_ACCRUED: 1,
    AccountKind.INTEREST_OVERDUE: 1,
    AccountKind.PENALTY: 1,
    AccountKind.FEE_OVERDUE: 1,
    AccountKind.ADVANCE: -1,
    AccountKind.REFUND_PAYABLE: -1,
}


class Channel(models.TextChoices):
    """Payout and payment channels; each has its own clearing account."""

    BANK = "bank", _("Bank transfer")
    CARD = "card", _("Payment card")
    CASH_DESK = "cash_desk", _("Cash desk")
    CASH_TERMINAL = "cash_terminal", _("Cash terminal")
    MERCHANT = "merchant", _("Partner merchant")


class LedgerAccount(models.Model):
    """The chart of accounts: per product for loan accounts and income, per channel for clearing."""

    number = models.CharField(_("account number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=AccountKind.choices)
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, blank=True)
    name = models.CharField(pgettext_lazy("servicing", "name"), max_length=200)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "product", "channel"], name="ledger_account_unique"),
            models.UniqueConstraint(
                fields=["kind", "channel"],
                condition=Q(product__isnull=True),
                name="ledger_account_global_unique",
            ),
            models.CheckConstraint(name="ledger_account_kind", condition=Q(kind__in=AccountKind.values)),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class Loan(models.Model):
    class Status(models.TextChoices):
        AWAITING = "awaiting", _("Awaiting disbursement")
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Repaid")
        CANCELLED = "cancelled", _("Cancelled before disbursement")
        WRITTEN_OFF = "written_off", _("Written off")

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="loan")
    contract = models.OneToOneField(Contract, on_delete=models.PROTECT, related_name="loan")
    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="loans")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    rule_set = models.ForeignKey(LegalRuleSet, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("contract number"), max_length=30, unique=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.AWAITING)
    payment_reference = models.CharField(_("payment reference"), max_length=20, unique=True)

    # Terms kept from the contract in force (the schedule is re-based on them at disbursement).
    principal = models.BigIntegerField(_("principal, tiyn"))
    annual_rate_percent = models.DecimalField(max_digits=7, decimal_places=4)
    day_count = models.CharField(max_length=12)
    method = models.CharField(max_length=20)
    term_months = models.PositiveIntegerField()
    payment_day = models.PositiveSmallIntegerField(null=True, blank=True)
    fees = models.JSONField(default=list, blank=True)
    upfront_fee = models.BigIntegerField(default=0)
    allocation_order = models.JSONField(default=list)
    # Penalty per day in parts per million of the overdue principal and interest (0.5 % = 5000): the
    # product's rate, never above the rule set's cap; ``penalty_ppm_high`` for the first
    # ``penalty_high_days`` days of a delay, then ``penalty_ppm_after``. Integers, so SQL is exact.
    penalty_ppm_high = models.PositiveIntegerField()
    penalty_high_days = models.PositiveIntegerField()
    penalty_ppm_after = models.PositiveIntegerField()
    penalty_year_cap = models.BigIntegerField(default=0)  # tiyn per loan year (rule set % of principal)
    penalty_year_end = models.DateField(null=True, blank=True)  # the current loan year ends before this
    penalty_year_accrued = models.BigIntegerField(default=0)

    disbursed_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    closed_through = models.DateField(_("business days closed through"), null=True, blank=True)
    accrued_through = models.DateField(null=True, blank=True)
    penalty_through = models.DateField(null=True, blank=True)
    schedule_version = models.PositiveIntegerField(default=1)

    # The instalment accruing now (denormalised so that daily accrual reads only this row).
    cur_number = models.PositiveIntegerField(null=True, blank=True)
    cur_start = models.DateField(null=True, blank=True)
    cur_due = models.DateField(null=True, blank=True)
    cur_interest = models.BigIntegerField(default=0)
    last_accrual = models.BigIntegerField(default=0)
    last_penalty = models.BigIntegerField(default=0)  # the close of business: penalty of ``penalty_through``

    overdue_since = models.DateField(_("first day of the delay"), null=True, blank=True)
    days_past_due = models.PositiveIntegerField(default=0)
    dpd_bucket = models.PositiveSmallIntegerField(default=0)

    # Accrual, collection and bureau reporting of the debt stop while this is set (a fraud-victim case,
    # Rules §13): the close of business skips the loan from this date. ``suspension_reason`` says why
    # in words staff read (a case reference), never a code.
    suspended_from = models.DateField(_("suspended from"), null=True, blank=True)
    suspension_reason = models.CharField(
        _("reason for suspension"), max_length=200, blank=True, db_default=""
    )

    # Cached balances (tiyn), see LOAN_BALANCES.
    principal_current = models.BigIntegerField(default=0)
    principal_overdue = models.BigIntegerField(default=0)
    interest_accrued = models.BigIntegerField(default=0)
    interest_overdue = models.BigIntegerField(default=0)
    penalty = models.BigIntegerField(default=0)
    fee_overdue = models.BigIntegerField(default=0)
    advance = models.BigIntegerField(default=0)
    refund_payable = models.BigIntegerField(default=0)

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["-id"]
        # The close of business looks up the few suspended loans of each chunk by this index.
        indexes = [
            models.Index(fields=["id"], condition=Q(suspended_from__isnull=False), name="loan_suspended")
        ]
        permissions = [
            ("disburse_cash", _("Can pay out loans in cash at the cash desk")),
            ("post_payment", _("Can post repayments received in cash")),
            ("approve_payout", _("Can give the second approval of a payout")),
        ]
        constraints = [
            models.CheckConstraint(
                name="loan_status_known",
                condition=Q(status__in=["awaiting", "active", "closed", "cancelled", "written_off"]),
            ),
            models.CheckConstraint(
                name="loan_balances_not_negative",
                condition=Q(principal_current__gte=0)
                & Q(principal_overdue__gte=0)
                & Q(interest_accrued__gte=0)
                & Q(interest_overdue__gte=0)
                & Q(penalty__gte=0)
                & Q(fee_overdue__gte=0)
                & Q(advance__gte=0)
                & Q(refund_payable__gte=0),
            ),
            models.CheckConstraint(
                name="loan_penalty_within_year_cap",
                condition=Q(penalty_year_accrued__gte=0) & Q(penalty_year_accrued__lte=F("penalty_year_cap")),
            ),
            models.CheckConstraint(name="loan_principal_positive", condition=Q(principal__gt=0)),
            models.CheckConstraint(
                name="loan_active_disbursed",
                condition=Q(status__in=["awaiting", "cancelled"]) | Q(disbursed_on__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.number


class Instalment(models.Model):
    """One row of a schedule version; restructuring adds a version, old rows stay as they were."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="instalments")
    version = models.PositiveIntegerField()
    number = models.PositiveIntegerField()
    period_start = models.DateField()
    due_date = models.DateField()
    principal = models.BigIntegerField()
    interest = models.BigIntegerField()
    fee = models.BigIntegerField(default=0)
    principal_paid = models.BigIntegerField(default=0)
    interest_paid = models.BigIntegerField(default=0)
    fee_paid = models.BigIntegerField(default=0)
    fell_due = models.BooleanField(default=False)
    paid_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["loan", "version", "number"]
        indexes = [
            # The close of business finds what falls due on a day (only rows not yet fallen due).
            models.Index(
                fields=["due_date", "loan"], condition=Q(fell_due=False), name="instalment_falling_due"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["loan", "version", "number"], name="instalment_unique"),
            models.CheckConstraint(
                name="instalment_amounts",
                condition=Q(principal__gte=0)
                & Q(interest__gte=0)
                & Q(fee__gte=0)
                & Q(principal_paid__gte=0, principal_paid__lte=F("principal"))
                & Q(interest_paid__gte=0, interest_paid__lte=F("interest"))
                & Q(fee_paid__gte=0, fee_paid__lte=F("fee"))
                & Q(due_date__gt=F("period_start")),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id}/{self.version}/{self.number}"

    @property
    def total(self) -> int:
        return self.principal + self.interest + self.fee

    @property
    def unpaid(self) -> int:
        return self.total - self.principal_paid - self.interest_paid - self.fee_paid


class Transfer(models.Model):
    """One balanced journal line: ``amount`` from ``credit`` to ``debit``. Append-only."""

    # Indexes and constraint triggers are what the close of business pays for on every row it writes
    # (a million a night): only the indexes a reader uses – the idempotency key (a constraint, so no
    # second LIKE index on PostgreSQL) and (loan, id) for a loan's entries. The two account columns
    # name rows of the small, never-deleted chart of accounts: no per-row foreign-key trigger for
    # them; ``check_ledger`` verifies that every transfer names existing accounts.
    key = models.CharField(max_length=80)  # idempotency key: the same posting twice is refused
    kind = models.CharField(max_length=20)
    entry = models.CharField(max_length=40, blank=True)  # groups the transfers of one operation
    loan = models.ForeignKey(
        Loan, null=True, blank=True, on_delete=models.PROTECT, related_name="transfers", db_index=False
    )
    debit = models.ForeignKey(
        LedgerAccount, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    credit = models.ForeignKey(
        LedgerAccount, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    amount = models.BigIntegerField()
    value_date = models.DateField()
    booking_date = models.DateField()
    reversal_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        indexes = [models.Index(fields=["loan", "id"], name="transfer_loan_id")]
        constraints = [
            models.UniqueConstraint(fields=["key"], name="transfer_key_unique"),
            models.CheckConstraint(name="transfer_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(name="transfer_two_accounts", condition=~Q(debit=F("credit"))),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.amount}"


class Merchant(models.Model):
    """Partner merchants to which a loan may be paid at the borrower's request (R-DISB-1, R-DISB-3)."""

    bin = models.CharField(_("BIN"), max_length=12, unique=True)
    name = models.CharField(pgettext_lazy("servicing", "name"), max_length=200)
    iban = models.CharField(_("IBAN"), max_length=34)
    contract_number = models.CharField(_("partner contract"), max_length=50)
    contract_from = models.DateField(_("partner contract from"))
    contract_to = models.DateField(_("partner contract until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("partner merchant")
        verbose_name_plural = _("partner merchants")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Payout(models.Model):
    """The money leaving the MFO for one loan. At most one live payout per loan (DB constraint)."""

    class Status(models.TextChoices):
        APPROVAL = "approval", _("Awaiting a second approval")
        PENDING = "pending", _("Being sent to the bank")
        SENT = "sent", _("Sent, awaiting the bank's confirmation")
        CONFIRMED = "confirmed", _("Paid out")
        FAILED = "failed", pgettext_lazy("servicing", "Failed")

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="payouts")
    key = models.CharField(max_length=64, unique=True)  # also the bank's idempotency key
    channel = models.CharField(max_length=20, choices=Channel.choices)
    amount = models.BigIntegerField()
    bank_account = models.ForeignKey(
        BankAccount, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    merchant = models.ForeignKey(Merchant, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    destination_masked = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    bank_reference = models.CharField(max_length=64, blank=True)
    failure_reason = models.CharField(max_length=200, blank=True)
    identification = models.JSONField(default=dict, blank=True)  # cash desk: what the cashier checked
    paid_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["loan"], condition=~Q(status="failed"), name="payout_one_live_per_loan"
            ),
            models.CheckConstraint(name="payout_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(
                name="payout_status_known",
                condition=Q(status__in=["approval", "pending", "sent", "confirmed", "failed"]),
            ),
        ]

    def __str__(self) -> str:
        return self.key


class Payment(models.Model):
    """Money received from the borrower, deduplicated by the payer's reference per channel."""

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="payments")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    payer_reference = models.CharField(max_length=80)
    amount = models.BigIntegerField()
    value_date = models.DateField()
    received_at = models.DateTimeField()
    allocation = models.JSONField(default=dict)  # account kind -> tiyn
    purpose = models.CharField(max_length=20, default="instalment")  # instalment / early_partial / early_full
    receipt_document_id = models.CharField(max_length=64, blank=True)
    posted_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "payer_reference"], name="payment_reference_unique"),
            models.CheckConstraint(name="payment_amount_positive", condition=Q(amount__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.payer_reference}"


class DelayNotice(models.Model):
    """The borrower's notice of a delay, due within 10 calendar days of it (DOMAIN.md; the days are
    the collections policy in force), sent as a letter by ``collections.services``."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="delay_notices")
    overdue_since = models.DateField()
    deadline = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    sent_at = models.DateTimeField(null=True, blank=True)
    # The letter it was sent as (PDF in the vault with its receipt; collections.services).
    letter = models.ForeignKey(
        "messaging.Letter", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["loan", "overdue_since"], name="delay_notice_once_per_delay"),
        ]

    def __str__(self) -> str:
        return f"{self.loan_id} {self.overdue_since}"


class BusinessDay(models.Model):
    """One close of business: when it ran and what it did (catch-up reads ``Loan.closed_through``)."""

    date = models.DateField(unique=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    loans = models.PositiveIntegerField(default=0)
    figures = models.JSONField(default=dict)

    class Meta:
        ordering = ["-date"]

    def __str__(self) -> str:
        return str(self.date)


class SimulatedBankTransfer(models.Model):
    """The store of the EMBEDDED BANK SIMULATOR (``adapters/bank_embedded.py``), not of Qaryz: what
    the simulated bank has accepted, keyed by our idempotency key. A table rather than memory so that
    the web server, Celery workers and ``manage.py`` commands see the same bank."""

    class Status(models.TextChoices):
        ACCEPTED = "accepted", "accepted"
        PAID = "paid", "paid"
        FAILED = "failed", "failed"

    key = models.CharField(max_length=64, unique=True)
    reference = models.CharField(max_length=32, unique=True)
    amount = models.BigIntegerField()
    destination_kind = models.CharField(max_length=12)  # iban / card / merchant / terminal
    destination = models.CharField(max_length=40)
    owner_id_number = models.CharField(max_length=12, blank=True)
    status = models.CharField(max_length=10, default=Status.ACCEPTED)
    reason = models.CharField(max_length=200, blank=True)
    withdrawal_code = models.CharField(max_length=8, blank=True)  # cash terminal only
    accepted_at = models.DateTimeField()
    settle_at = models.DateTimeField()
    settled_at = models.DateTimeField(null=True, blank=True)
    webhook_delivered_at = models.DateTimeField(null=True, blank=True)
    webhook_attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"sim:{self.key}"


class Restructuring(models.Model):
    """A supplementary agreement changing a loan's schedule after its first instalment (issue 10
    item 6): a new term, a lower instalment, or a payment holiday, built from the loan's actual
    balance, signed like the contract (``lending.signing``: the same document fields), and in
    force from its signature as a new schedule version."""

    class Kind(models.TextChoices):
        NEW_TERM = "new_term", _("New term")
        LOWER_INSTALMENT = "lower_instalment", _("Lower instalment")
        HOLIDAY = "holiday", _("Payment holiday")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Awaiting signature")
        SIGNED = "signed", _("Signed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="restructurings")
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=40, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    term_months = models.PositiveIntegerField()  # instalments of the new schedule
    holiday_months = models.PositiveIntegerField(default=0)
    max_instalment = models.BigIntegerField(default=0)  # lower instalment: the ceiling asked, tiyn
    effective_on = models.DateField()  # the day it was built for; it must be signed that day
    base_version = models.PositiveIntegerField()  # the schedule version it replaces
    principal = models.BigIntegerField()  # principal rescheduled (current + overdue), tiyn
    schedule = models.JSONField(default=list)  # rows in tiyn, see restructuring.schedule_json
    language = models.CharField(max_length=2)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    pdf_sha256 = models.CharField(max_length=64)
    # The agreement's PDF is kept only in the records vault, like the contract's (R-3P-1,
    # migration 0010): lending.selectors.document_pdf reads it by this id against pdf_sha256.
    vault_document_id = models.CharField(max_length=64, blank=True)
    signing_request_id = models.CharField(max_length=64, blank=True)
    signature_evidence = models.JSONField(default=dict, blank=True)
    proposed_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["loan", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "sequence"], name="restructuring_sequence_unique"),
            models.UniqueConstraint(
                fields=["loan"], condition=Q(status="draft"), name="restructuring_one_draft_per_loan"
            ),
            models.CheckConstraint(
                name="restructuring_status_known", condition=Q(status__in=["draft", "signed", "withdrawn"])
            ),
            models.CheckConstraint(
                name="restructuring_kind_known",
                condition=Q(kind__in=["new_term", "lower_instalment", "holiday"]),
            ),
        ]

    def __str__(self) -> str:
        return self.number


class RefundPayout(models.Model):
    """Money returned to the client through the payout bank: an overpayment the client asked back,
    or everything paid on a loan a court found the client never received (Rules §13, R-FRAUD-4).
    It pays the loan's refund payable; ``repayments.refund_paid`` books the bank's confirmation.
    Apart from ``Payout`` (one live disbursement per loan) because a loan may have several refunds."""

    class Status(models.TextChoices):
        APPROVAL = "approval", _("Awaiting a second approval")
        PENDING = "pending", _("Being sent to the bank")
        SENT = "sent", _("Sent, awaiting the bank's confirmation")
        CONFIRMED = "confirmed", _("Refunded")
        FAILED = "failed", pgettext_lazy("servicing", "Failed")

    class Purpose(models.TextChoices):
        OVERPAYMENT = "overpayment", _("Refund of an overpayment")
        FRAUD_VICTIM = "fraud_victim", _("Refund to a victim of fraud")

    loan = models.ForeignKey(Loan, on_delete=models.PROTECT, related_name="refund_payouts")
    key = models.CharField(max_length=64, unique=True)  # also the bank's idempotency key
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    amount = models.BigIntegerField()
    bank_account = models.ForeignKey(BankAccount, on_delete=models.PROTECT, related_name="+")
    destination_masked = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    bank_reference = models.CharField(max_length=64, blank=True)
    failure_reason = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=80, blank=True)  # e.g. fraud_case:12
    requested_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(name="refund_payout_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(
                name="refund_payout_status_known",
                condition=Q(status__in=["approval", "pending", "sent", "confirmed", "failed"]),
            ),
            models.CheckConstraint(
                name="refund_payout_purpose_known", condition=Q(purpose__in=["overpayment", "fraud_victim"])
            ),
        ]

    def __str__(self) -> str:
        return self.key


class SuspenseItem(models.Model):
    """Money received that names no known loan (a statement line without a valid payment reference):
    kept on the suspense account until an operator assigns it to a loan (then posted as that loan's
    payment with the bank's reference) – never lost, never guessed."""

    class Status(models.TextChoices):
        OPEN = "open", _("Awaiting assignment")
        ASSIGNED = "assigned", _("Assigned to a loan")
        RETURNING = "returning", _("Being returned to the payer")
        RETURNED = "returned", _("Returned to the payer")

    channel = models.CharField(max_length=20, choices=Channel.choices)
    bank_reference = models.CharField(_("bank reference"), max_length=80)
    amount = models.BigIntegerField()
    value_date = models.DateField()
    purpose = models.CharField(_("payment purpose"), max_length=300, blank=True)
    payer = models.CharField(_("payer"), max_length=200, blank=True)
    payer_account = models.CharField(_("payer's account"), max_length=34, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="suspense_item"
    )
    assigned_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("unidentified payment")
        verbose_name_plural = _("unidentified payments")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "bank_reference"], name="suspense_once_per_reference"),
            models.CheckConstraint(name="suspense_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(
                name="suspense_assigned_has_payment",
                condition=Q(status__in=["open", "returning", "returned"], payment__isnull=True)
                | Q(status="assigned", payment__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.bank_reference


class SuspenseReturn(models.Model):
    """Unidentified money sent back to the account it came from (nobody's loan: the operator
    decided it is not the MFO's to keep). Sent through the payout bank with ``key`` as its
    idempotency key; the bank's confirmation books suspense → clearing and marks the item returned,
    a failure puts the item back to "awaiting assignment". At most one live return per item."""

    class Status(models.TextChoices):
        APPROVAL = "approval", _("Awaiting a second approval")
        PENDING = "pending", _("Being sent to the bank")
        SENT = "sent", _("Sent, awaiting the bank's confirmation")
        CONFIRMED = "confirmed", _("Returned")
        FAILED = "failed", pgettext_lazy("servicing", "Failed")

    item = models.ForeignKey(SuspenseItem, on_delete=models.PROTECT, related_name="returns")
    key = models.CharField(max_length=64, unique=True)
    amount = models.BigIntegerField()
    account = models.CharField(_("payer's account"), max_length=34)
    payer_name = models.CharField(max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    bank_reference = models.CharField(max_length=64, blank=True)
    failure_reason = models.CharField(max_length=200, blank=True)
    requested_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(name="suspense_return_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(
                name="suspense_return_status_known",
                condition=Q(status__in=["approval", "pending", "sent", "confirmed", "failed"]),
            ),
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(status__in=["approval", "pending", "sent", "confirmed"]),
                name="suspense_one_live_return",
            ),
        ]

    def __str__(self) -> str:
        return self.key


class PayoutApproval(models.Model):
    """The second approval (maker–checker) a payout, refund or return waits for before the money
    moves: the transfer row is committed in status "approval" beside this row, the bank is not
    called. The checker is never the maker (service check and DB constraint); approving moves the
    row on to the payout's own idempotent path, rejecting fails it with the reason. ``maker`` is
    empty when the client asked (a payout above ``PAYOUT_SECOND_APPROVAL_ABOVE``)."""

    class Kind(models.TextChoices):
        PAYOUT = "payout", _("Payout of a loan")
        CASH_DESK = "cash_desk", _("Cash payout at the desk")
        REFUND = "refund", _("Refund to the client")
        SUSPENSE_RETURN = "suspense_return", _("Return of an unidentified payment")

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting a second approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    payout = models.OneToOneField(
        Payout, null=True, blank=True, on_delete=models.PROTECT, related_name="approval"
    )
    refund = models.OneToOneField(
        RefundPayout, null=True, blank=True, on_delete=models.PROTECT, related_name="approval"
    )
    suspense_return = models.OneToOneField(
        SuspenseReturn, null=True, blank=True, on_delete=models.PROTECT, related_name="approval"
    )
    amount = models.BigIntegerField()
    maker = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    checker = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(_("reason"), max_length=300, blank=True)  # why it was rejected
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("second approval of a payout")
        verbose_name_plural = _("second approvals of payouts")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "created_at"], name="payout_approval_queue")]
        constraints = [
            models.CheckConstraint(name="payout_approval_four_eyes", condition=~Q(checker=F("maker"))),
            models.CheckConstraint(name="payout_approval_amount_positive", condition=Q(amount__gt=0)),
            models.CheckConstraint(
                name="payout_approval_status_known",
                condition=Q(status__in=["pending", "approved", "rejected"]),
            ),
            models.CheckConstraint(
                name="payout_approval_one_target",
                condition=Q(
                    kind__in=["payout", "cash_desk"],
                    payout__isnull=False,
                    refund__isnull=True,
                    suspense_return__isnull=True,
                )
                | Q(kind="refund", payout__isnull=True, refund__isnull=False, suspense_return__isnull=True)
                | Q(
                    kind="suspense_return",
                    payout__isnull=True,
                    refund__isnull=True,
                    suspense_return__isnull=False,
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.status}"

    @property
    def target(self) -> Payout | RefundPayout | SuspenseReturn:
        return self.payout or self.refund or self.suspense_return  # type: ignore[return-value]
