"""Incoming payments: posting, allocation, receipts, early repayment, advances and their refund.

Public functions (documented in docs/servicing.md, "Repayments"):

* ``post_payment`` – money received through a channel, deduplicated by (channel, payer_reference),
  allocated at once to what is overdue in the contract's order, the rest kept as an advance;
* ``early_repayment_quote`` / ``repay_early`` – partial (shorter term or lower instalment: a new
  schedule version) or full early repayment with interest to the day;
* ``refund_advance`` / ``refund_paid`` – an advance returned on the client's request;
* ``payment_receipt`` / ``payment_receipt_pdf`` – the receipt of a payment.

Every function takes the loan's row lock (``select_for_update``) for its whole transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qaryz.core.bulk import insert_rows, insert_values, update_rows
from qaryz.lending.schedules import DayCount, LoanTerms, Method, Schedule, ScheduleError, build_schedule
from qaryz.messaging import status_notices
from qaryz.records.services import NewDocument, record_events, set_obligations_end, store_documents
from qaryz.records.services import record_event as audit
from qaryz.servicing import ledger
from qaryz.servicing.allocation import DUE_ITEMS, ITEMS, allocate, spread_oldest_first
from qaryz.servicing.amounts import accrued_after, to_tiyn
from qaryz.servicing.ledger import Leg
from qaryz.servicing.models import AccountKind, Channel, Instalment, Loan, Payment, SuspenseItem, Transfer
from qaryz.servicing.services import ServicingError, set_accruing

PAYMENT_CHANNELS = (Channel.BANK, Channel.CARD, Channel.CASH_DESK, Channel.CASH_TERMINAL)
RECEIPT_TYPE = "qaryz.payment.v1"
MODES = ("shorter_term", "lower_instalment", "full")

# Allocation item -> the loan's receivable account it pays.
ITEM_ACCOUNT: dict[str, str] = {
    "overdue_principal": AccountKind.PRINCIPAL_OVERDUE,
    "overdue_interest": AccountKind.INTEREST_OVERDUE,
    "overdue_fees": AccountKind.FEE_OVERDUE,
    "penalty": AccountKind.PENALTY,
    "current_interest": AccountKind.INTEREST_ACCRUED,
    "current_principal": AccountKind.PRINCIPAL_CURRENT,
}
RECEIVABLES = tuple(ITEM_ACCOUNT.values())


def owed(loan: Loan, *, current: bool = False) -> dict[str, int]:
    """What the loan owes by allocation item: overdue amounts and penalty; with ``current`` also the
    interest accrued (not yet due) and the principal not yet due."""
    result = {
        "overdue_principal": loan.principal_overdue,
        "overdue_interest": loan.interest_overdue,
        "overdue_fees": loan.fee_overdue,
        "penalty": loan.penalty,
    }
    if current:
        result["current_interest"] = loan.interest_accrued
        result["current_principal"] = loan.principal_current
    return result


def total_owed(loan: Loan) -> int:
    return sum(getattr(loan, account) for account in RECEIVABLES)


def _lock(loan: Loan) -> Loan:
    return Loan.objects.select_for_update().select_related("client").get(pk=loan.pk)


def _staff(actor: Any) -> Any:
    return actor if getattr(getattr(actor, "_meta", None), "label_lower", "") == "auth.user" else None


# --- posting -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Incoming:
    """Money received for a loan through a channel: one statement line, webhook, cash order…"""

    loan_id: int
    channel: str
    payer_reference: str
    amount_tiyn: int
    value_date: dt.date
    purpose: str = "instalment"


@dataclass
class Posted:
    """What became of one ``Incoming``: its payment (``duplicate`` when it was posted before), or
    the reason it was refused (``error``, nothing posted for it)."""

    incoming: Incoming
    payment: Payment | None = None
    duplicate: bool = False
    error: ServicingError | None = None
    loan: Loan | None = None  # the loan as posted (locked copy), for the single-payment caller


def _validated(item: Incoming) -> Incoming:
    if item.channel not in PAYMENT_CHANNELS:
        raise ServicingError(_("Unknown payment channel."), "channel")
    reference = (item.payer_reference or "").strip()
    if not reference or len(reference) > 80:
        raise ServicingError(
            _("A payment needs the payer's reference (up to 80 characters)."), "payer_reference"
        )
    amount = item.amount_tiyn
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise ServicingError(_("The amount must be positive."), "amount")
    return Incoming(item.loan_id, item.channel, reference, amount, item.value_date, item.purpose)


def post_payment(
    loan: Loan,
    *,
    channel: str,
    payer_reference: str,
    amount_tiyn: int,
    value_date: dt.date,
    actor: Any = None,
    purpose: str = "instalment",
) -> Payment:
    """Post money received for ``loan`` (``post_payments`` of one): a duplicate (channel,
    payer_reference) returns the payment already posted; a refusal raises ``ServicingError``."""
    item = Incoming(loan.pk, channel, payer_reference, amount_tiyn, value_date, purpose)
    (result,) = post_payments([item], actor=actor)
    if result.error is not None:
        raise result.error
    if result.loan is not None:
        _copy_state(result.loan, loan)
    assert result.payment is not None  # noqa: S101 – no error means a payment  # nosec B101
    return result.payment


def post_payments(items: list[Incoming], *, actor: Any = None) -> list[Posted]:
    """Post money received, in ONE transaction for all ``items`` (a statement, a batch of webhooks).

    One ``Payment`` per (channel, payer_reference): a duplicate – posted before, or twice in the
    batch – posts nothing and returns the payment already posted; a concurrent duplicate is decided
    by the database's unique constraint (the batch is retried and then finds it). Each payment is
    allocated at once to the overdue items (overdue fees right after overdue interest) in the
    contract's order; the rest is the advance, applied by the close of business on the next due
    date or by an early repayment. Transfers: clearing(channel) → each receivable, clearing →
    advance. Instalments paid oldest first, delay state recomputed, a signed receipt stored per
    payment, a loan closed when nothing is owed any more, each payment audited.

    The loans are locked in id order (two batches never deadlock); the statements are a constant
    handful per batch – the cost of a payment is its share of them (bench/servicing_repayments.py)."""
    results = [Posted(item) for item in items]
    for result in results:
        try:
            result.incoming = _validated(result.incoming)
        except ServicingError as exc:
            result.error = exc
    for attempt in range(3):
        try:
            with transaction.atomic():
                _post_batch([r for r in results if r.error is None], actor)
            return results
        except IntegrityError:
            # A concurrent batch inserted one of these payer references first: everything here
            # rolled back; the next attempt's lookup finds that payment and returns it.
            for result in results:
                if result.error is None:
                    result.payment, result.duplicate, result.loan = None, False, None
            if attempt == 2:
                raise
    return results


@dataclass
class _Staged:
    result: Posted
    loan: Loan
    payment: Payment
    parts: dict[str, int]
    legs: list[Leg]


# What posting never reads of the borrower (receipts name them, notices speak their language).
_CLIENT_UNUSED = [
    f"client__{name}"
    for name in (
        "address",  # encrypted (R-3P-1): never decrypted for a posting
        "id_doc_type",
        "id_doc_number",  # encrypted
        "id_doc_expiry",
        "id_doc_issue_date",
        "face_photo_ref",
    )
]


def _post_batch(todo: list[Posted], actor: Any) -> None:
    if not todo:
        return
    wanted = {(r.incoming.channel, r.incoming.payer_reference) for r in todo}
    existing = _posted_before(wanted)
    first_of: dict[tuple[str, str], Posted] = {}
    fresh: list[Posted] = []
    for result in todo:
        key = (result.incoming.channel, result.incoming.payer_reference)
        if key in existing:
            result.payment, result.duplicate = existing[key], True
        elif key in first_of:
            result.duplicate = True
        else:
            first_of[key] = result
            fresh.append(result)
    if not fresh:
        return
    loans = {
        loan.pk: loan
        for loan in Loan.objects.select_for_update(of=("self",))
        .select_related("client")
        .defer(*_CLIENT_UNUSED)
        .filter(pk__in={r.incoming.loan_id for r in fresh})
        .order_by("pk")
    }
    staged: list[_Staged] = []
    received_at = timezone.now()
    for result in fresh:
        item = result.incoming
        loan = loans.get(item.loan_id)
        if loan is None or loan.status not in (Loan.Status.ACTIVE, Loan.Status.CLOSED):
            result.error = ServicingError(_("This loan is not being repaid."))
            continue
        split = allocate(
            item.amount_tiyn, owed(loan) if loan.status == Loan.Status.ACTIVE else {}, loan.allocation_order
        )
        parts = {name: value for name, value in split.parts.items() if value}
        payment = Payment(
            loan=loan,
            channel=item.channel,
            payer_reference=item.payer_reference,
            amount=item.amount_tiyn,
            value_date=item.value_date,
            received_at=received_at,
            allocation={**parts, "advance": split.advance},
            purpose=item.purpose,
            posted_by=_staff(actor),
        )
        legs = [
            Leg(AccountKind.CLEARING, ITEM_ACCOUNT[name], value, channel=item.channel)
            for name, value in parts.items()
        ]
        legs.append(Leg(AccountKind.CLEARING, AccountKind.ADVANCE, split.advance, channel=item.channel))
        ledger.apply(loan, [leg for leg in legs if leg.amount])  # the next payment of this loan sees it
        staged.append(_Staged(result, loan, payment, parts, legs))
    if not staged:
        return
    payments = [s.payment for s in staged]
    receipt_ids = [uuid.uuid4() for _ in staged]  # the vault ids, known before the rows exist
    for payment, receipt_id in zip(payments, receipt_ids, strict=True):
        payment.receipt_document_id = str(receipt_id)
    insert_rows(payments)
    transfers: list[dict[str, Any]] = []
    today = timezone.localdate()
    for s in staged:
        transfers += ledger.transfer_values(
            s.loan,
            s.legs,
            key=f"pay:{s.payment.pk}",
            kind="repayment",
            value_date=s.payment.value_date,
            booking_date=today,
        )
    insert_values(Transfer, transfers)
    _pay_overdue_instalments([(s.loan, s.parts, s.payment.value_date) for s in staged])
    # The audit trail's head row stays locked from the first append until commit, and every poster
    # appends: the receipts' events and the payments' go in ONE append, the batch's last statement.
    receipts = [_receipt_document(s.loan, s.payment) for s in staged]
    # Each payment's own event below names its receipt and the receipt's SHA-256 (one audit event
    # per payment, not a second "document stored" one).
    store_documents(receipts, returning=False, audited_by_caller=True)
    events: list[dict[str, Any]] = []
    touched = {s.loan.pk: s.loan for s in staged}
    closed = set()
    for s in staged:
        if s.loan.pk not in closed and _close_if_repaid(s.loan, s.payment.value_date, actor):
            closed.add(s.loan.pk)
    update_rows(list(touched.values()), _LOAN_FIELDS)
    for s, receipt in zip(staged, receipts, strict=True):
        s.result.payment, s.result.loan = s.payment, s.loan
        events.append(
            {
                "action": "servicing.payment_posted",
                "actor": actor,
                "target": s.payment,
                "data": {
                    "loan": s.loan.number,
                    "channel": s.payment.channel,
                    "payer_reference": s.payment.payer_reference,
                    "amount": s.payment.amount,
                    "value_date": s.payment.value_date.isoformat(),
                    "allocation": s.payment.allocation,
                    "closed": s.loan.pk in closed,
                    "receipt": {
                        "document": s.payment.receipt_document_id,
                        "sha256": hashlib.sha256(receipt.content).hexdigest(),
                    },
                },
            }
        )
    record_events(events, returning=False)
    status_notices.payments_received([(s.loan, s.payment) for s in staged])  # after commit, one INSERT
    for result in todo:
        if result.duplicate and result.payment is None:
            result.payment = first_of[(result.incoming.channel, result.incoming.payer_reference)].payment


def _posted_before(wanted: set[tuple[str, str]]) -> dict[tuple[str, str], Payment]:
    """The payments already posted under these (channel, payer reference) pairs, found through
    the (channel, payer_reference) unique index. On PostgreSQL the values travel as two array
    parameters (a batch's hundreds of placeholders cost more to compile than the lookup itself);
    duplicates are rare, so only they become model instances."""
    channels = sorted({channel for channel, _ref in wanted})
    references = sorted({ref for _channel, ref in wanted})
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(Payment._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, channel, payer_reference FROM {table} "  # noqa: S608  # nosec B608 – the model's table
                "WHERE channel = ANY(%s) AND payer_reference = ANY(%s)",
                [channels, references],
            )
            ids = [pk for pk, channel, ref in cursor.fetchall() if (channel, ref) in wanted]
        found = list(Payment.objects.filter(pk__in=ids)) if ids else []
    else:
        found = list(Payment.objects.filter(channel__in=channels, payer_reference__in=references))
    return {(p.channel, p.payer_reference): p for p in found if (p.channel, p.payer_reference) in wanted}


def _copy_state(source: Loan, target: Loan) -> None:
    if source is not target:
        target.__dict__.update({k: v for k, v in source.__dict__.items() if not k.startswith("_")})


_LOAN_FIELDS = [
    "principal_current",
    "principal_overdue",
    "interest_accrued",
    "interest_overdue",
    "penalty",
    "fee_overdue",
    "advance",
    "refund_payable",
    "overdue_since",
    "days_past_due",
    "dpd_bucket",
    "status",
    "closed_on",
    "cur_number",
    "cur_start",
    "cur_due",
    "cur_interest",
    "accrued_through",
    "last_accrual",
    "schedule_version",
]


_INSTALMENT_COLUMNS = {
    "overdue_principal": "principal",
    "overdue_interest": "interest",
    "overdue_fees": "fee",
}


def _pay_overdue_instalments(paid: list[tuple[Loan, dict[str, int], dt.date]]) -> None:
    """The overdue parts paid go onto the fallen-due instalments of each loan's schedule in force,
    oldest first (one read and one write of the rows for the whole batch); then each loan's delay
    state is recomputed from its rows."""
    paying = {loan.pk: loan for loan, parts, _on in paid if any(parts.get(i) for i in _INSTALMENT_COLUMNS)}
    if not paying:
        return
    rows_of: dict[int, list[Instalment]] = {pk: [] for pk in paying}
    for row in Instalment.objects.filter(
        loan_id__in=list(paying), fell_due=True, paid_on__isnull=True
    ).order_by("loan_id", "number"):
        if row.version == paying[row.loan_id].schedule_version:
            rows_of[row.loan_id].append(row)
    for loan, parts, on in paid:
        rows = rows_of.get(loan.pk)
        if rows is None:
            continue
        for item, column in _INSTALMENT_COLUMNS.items():
            amount = parts.get(item, 0)
            if not amount:
                continue
            open_rows = [r for r in rows if r.paid_on is None]
            unpaid = [getattr(r, column) - getattr(r, f"{column}_paid") for r in open_rows]
            if sum(unpaid) < amount:  # the cached overdue balance and the rows disagree: never guess
                raise ServicingError(f"loan {loan.pk}: overdue {column} exceeds what its instalments owe")
            for row, take in zip(open_rows, spread_oldest_first(amount, unpaid), strict=True):
                setattr(row, f"{column}_paid", getattr(row, f"{column}_paid") + take)
        for row in rows:
            if row.paid_on is None and row.unpaid == 0:
                row.paid_on = on
    changed = [row for rows in rows_of.values() for row in rows]
    update_rows(changed, ["principal_paid", "interest_paid", "fee_paid", "paid_on"])
    for pk, loan in paying.items():
        _recompute_delay(loan, rows_of[pk])


def _recompute_delay(loan: Loan, rows: list[Instalment] | None = None) -> None:
    """overdue_since = the day after the due date of the oldest fallen-due instalment still unpaid
    (None when there is none); days past due counted to the last business day closed. ``rows``:
    the fallen-due unpaid rows just updated, if any (saves reading them again)."""
    if loan.principal_overdue == 0 and loan.interest_overdue == 0 and loan.fee_overdue == 0:
        oldest = None
    elif rows is not None:
        oldest = next((r.due_date for r in rows if r.paid_on is None), None)
    else:
        oldest = (
            Instalment.objects.filter(
                loan=loan, version=loan.schedule_version, fell_due=True, paid_on__isnull=True
            )
            .order_by("number")
            .values_list("due_date", flat=True)
            .first()
        )
    loan.overdue_since = oldest + dt.timedelta(days=1) if oldest else None
    if loan.overdue_since is None:
        loan.days_past_due, loan.dpd_bucket = 0, 0
    elif loan.closed_through is not None:
        loan.days_past_due = max(0, (loan.closed_through - loan.overdue_since).days + 1)


def _receipt_body(loan: Loan, payment: Payment) -> dict[str, Any]:
    return {
        "type": RECEIPT_TYPE,
        "payment_id": payment.pk,
        "loan": loan.number,
        "payment_reference": loan.payment_reference,
        "channel": payment.channel,
        "payer_reference": payment.payer_reference,
        "amount_tiyn": payment.amount,
        "value_date": payment.value_date.isoformat(),
        "received_at": payment.received_at.isoformat(timespec="seconds"),
        "allocation": payment.allocation,
        "purpose": payment.purpose,
    }


def _receipt_document(loan: Loan, payment: Payment) -> NewDocument:
    """The payment's record for the vault (JSON), which ``store_documents`` gives a signed receipt
    (records.receipts, R-RCPT-1); the PDF is rendered from it on demand."""
    body = json.dumps(_receipt_body(loan, payment), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return NewDocument(
        id=uuid.UUID(payment.receipt_document_id),
        content=body.encode(),
        media_type="application/json",
        kind="payment_receipt",
        direction="outbound",
        owner=loan.client,
        filename=f"payment-{payment.pk}.json",
        channel="servicing",
        reference=loan_reference(loan),
    )


def loan_reference(loan: Loan) -> str:
    """The vault reference of the loan's own documents (receipts, restructuring agreements)."""
    return f"servicing.loan:{loan.pk}"


def payment_receipt(payment: Payment) -> dict[str, Any]:
    """The payment's stored record and its signed receipt (payload, signature, public key)."""
    from qaryz.records.models import StoredDocument
    from qaryz.records.receipts import receipt_json
    from qaryz.records.services import read_document

    document = StoredDocument.objects.select_related("receipt").get(pk=payment.receipt_document_id)
    return {"payment": json.loads(read_document(document)), **receipt_json(document.receipt)}


def payment_receipt_pdf(payment: Payment) -> bytes:
    """The signed receipt as a PDF (records.receipts.receipt_pdf: the signed JSON embedded)."""
    from qaryz.records.models import StoredDocument
    from qaryz.records.receipts import receipt_pdf

    document = StoredDocument.objects.select_related("receipt").get(pk=payment.receipt_document_id)
    return receipt_pdf(document.receipt)


# --- closing -------------------------------------------------------------------------------------
def _close_if_repaid(loan: Loan, on: dt.date, actor: Any) -> bool:
    if loan.status != Loan.Status.ACTIVE or total_owed(loan) != 0:
        return False
    close_loan(loan, on, actor=actor)
    return True


def close_loan(loan: Loan, on: dt.date, *, actor: Any = None) -> None:
    """Nothing is owed: the loan is closed on ``on`` and the retention clock of its documents
    starts (R-ARCH-1). Caller holds the lock and saves the loan. Any advance left stays refundable."""
    from qaryz.lending.models import ContractAmendment
    from qaryz.records.models import StoredDocument

    loan.status = Loan.Status.CLOSED
    loan.closed_on = on
    loan.overdue_since, loan.days_past_due, loan.dpd_bucket = None, 0, 0
    set_accruing(loan, None)
    set_obligations_end(loan_reference(loan), on, actor=actor)
    document_ids = [loan.contract.vault_document_id] + list(
        ContractAmendment.objects.filter(contract_id=loan.contract_id)
        .exclude(vault_document_id="")
        .values_list("vault_document_id", flat=True)
    )
    for document in StoredDocument.objects.filter(pk__in=[d for d in document_ids if d]):
        set_obligations_end(document, on, actor=actor)
    live = Loan.objects.filter(
        client_id=loan.client_id, status__in=[Loan.Status.AWAITING, Loan.Status.ACTIVE]
    )
    if not live.exclude(pk=loan.pk).exists():
        set_obligations_end(loan.client, on, actor=actor)
    audit(
        "servicing.loan_closed", actor=actor, target=loan, data={"number": loan.number, "on": on.isoformat()}
    )
    status_notices.loan_closed(loan)


# --- accrual to the day --------------------------------------------------------------------------
def accrual_to_day(loan: Loan, on: dt.date) -> int:
    """Interest of the accruing instalment for the days after ``accrued_through`` up to ``on``
    (cumulative half-up rule of ``amounts``: the same integers as the close of business)."""
    if loan.cur_start is None or loan.cur_due is None or loan.accrued_through is None:
        return 0
    if on <= loan.accrued_through:
        return 0
    period = (loan.cur_due - loan.cur_start).days
    done = (loan.accrued_through - loan.cur_start).days
    return accrued_after(loan.cur_interest, (on - loan.cur_start).days, period) - accrued_after(
        loan.cur_interest, done, period
    )


def check_not_suspended(loan: Loan, on: dt.date) -> None:
    """Early repayment and restructuring would charge interest for suspended days (Rules §13)."""
    if loan.suspended_from is not None and loan.suspended_from <= on:
        raise ServicingError(
            _(
                "This loan is suspended while a fraud case is examined: interest does not accrue and nothing is collected until it is decided."
            )
        )


def _check_day(loan: Loan, on: dt.date) -> None:
    if loan.status != Loan.Status.ACTIVE:
        raise ServicingError(_("This loan is not being repaid."))
    check_not_suspended(loan, on)
    if (
        loan.closed_through is None
        or loan.closed_through < on - dt.timedelta(days=1)
        or on < loan.closed_through
    ):
        raise ServicingError(
            _("Early repayment is possible today only, once the previous business day is closed.")
        )
    if loan.cur_due is not None and on > loan.cur_due:
        raise ServicingError(
            _("Early repayment is possible today only, once the previous business day is closed.")
        )


def post_accrual_to_day(loan: Loan, on: dt.date) -> int:
    """Post the interest of day ``on`` (and of days not yet accrued) with the close of business's
    key ``accr:<loan>:<D>:1``; the close of business of ``on`` then skips the loan
    (``accrued_through`` is ``on``). Caller holds the lock and saves the loan."""
    amount = accrual_to_day(loan, on)
    if loan.accrued_through is not None and on <= loan.accrued_through:
        return 0
    ledger.post(
        loan,
        [Leg(AccountKind.INTEREST_ACCRUED, AccountKind.INTEREST_INCOME, amount)],
        key=f"accr:{loan.pk}:{on.isoformat()}",
        kind="accrual",
        value_date=on,
    )
    loan.accrued_through = on
    loan.last_accrual = amount
    return amount


# --- early repayment -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ScheduleRow:
    number: int
    period_start: dt.date
    due_date: dt.date
    principal: int
    interest: int
    fee: int
    remaining_principal: int

    @property
    def total(self) -> int:
        return self.principal + self.interest + self.fee


@dataclass(frozen=True)
class EarlyQuote:
    """What an early repayment on ``on`` would do (shown to the client before confirming).

    ``payoff``: everything owed to the day (principal + interest accrued and of today + overdue +
    penalty + overdue fees); ``to_pay``: what must still come in beyond the advance held. For a
    partial repayment ``amount`` is applied (overdue and interest to the day first, the rest to
    principal) and ``schedule`` is the new schedule from ``on``."""

    on: dt.date
    mode: str
    interest_to_day: int
    owed: dict[str, int]
    payoff: int
    advance: int
    to_pay: int
    amount: int
    principal_paid: int = 0
    principal_after: int = 0
    schedule: list[ScheduleRow] = field(default_factory=list)

    @property
    def instalment_after(self) -> int:
        return self.schedule[0].total if self.schedule else 0

    @property
    def term_after(self) -> int:
        return len(self.schedule)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["instalment_after"], data["term_after"] = self.instalment_after, self.term_after
        return data


def _terms(loan: Loan, principal: int, start: dt.date, term: int, first_due: dt.date | None) -> LoanTerms:
    min_days = (first_due - start).days if first_due is not None and first_due > start else 0
    return LoanTerms(
        principal=Decimal(principal) / 100,
        term_months=term,
        annual_rate_percent=Decimal(loan.annual_rate_percent),
        method=Method(loan.method),
        start_date=start,
        day_count=DayCount(loan.day_count),
        fees=(),
        payment_day=loan.payment_day or loan.disbursed_on.day,
        first_period_min_days=min(92, min_days),
    )


def schedule_rows(
    loan: Loan, schedule: Schedule, *, first_number: int, fees: dict[dt.date, int], start: dt.date
) -> list[ScheduleRow]:
    rows, period_start = [], start
    for item in schedule.instalments:
        rows.append(
            ScheduleRow(
                number=first_number + item.number - 1,
                period_start=period_start,
                due_date=item.due_date,
                principal=to_tiyn(item.principal),
                interest=to_tiyn(item.interest),
                fee=fees.get(item.due_date, 0),
                remaining_principal=to_tiyn(item.remaining_principal),
            )
        )
        period_start = item.due_date
    return rows


def _future_rows(loan: Loan, on: dt.date) -> list[Instalment]:
    return list(
        Instalment.objects.filter(loan=loan, version=loan.schedule_version, due_date__gt=on).order_by(
            "number"
        )
    )


def _new_schedule(loan: Loan, on: dt.date, principal: int, mode: str) -> list[ScheduleRow]:
    future = _future_rows(loan, on)
    if not future:
        raise ServicingError(_("No instalment is left to reschedule: repay the loan in full."))
    fees = {row.due_date: row.fee - row.fee_paid for row in future}
    first_due = future[0].due_date
    reference = future[0].principal + future[0].interest  # the regular instalment, fees aside

    def build(term: int) -> list[ScheduleRow]:
        try:
            schedule = build_schedule(_terms(loan, principal, on, term, first_due))
        except ScheduleError as exc:
            raise ServicingError(exc.message) from None
        return schedule_rows(loan, schedule, first_number=future[0].number, fees=fees, start=on)

    if mode == "lower_instalment":
        return build(len(future))
    for term in range(1, len(future) + 1):  # shorter term: the fewest months at no higher instalment
        rows = build(term)
        body = rows[:-1] or rows
        if loan.method == Method.DIFFERENTIATED:
            if all(r.principal <= future[0].principal for r in body):
                return rows
        elif all(r.principal + r.interest <= reference for r in body):
            return rows
    return build(len(future))


def early_repayment_quote(
    loan: Loan, on: dt.date, *, amount: int | None = None, mode: str = "shorter_term"
) -> EarlyQuote:
    """The quote of an early repayment on ``on`` (today) – nothing is written. ``amount`` (tiyn,
    partial modes) is the money applied, advance included; without it the advance held."""
    if mode not in MODES:
        raise ServicingError(_("Choose how to repay early."), "mode")
    _check_day(loan, on)
    interest_today = accrual_to_day(loan, on)
    owed_items = owed(loan, current=True)
    owed_items["current_interest"] += interest_today
    payoff = sum(owed_items.values())
    interest_to_day = owed_items["current_interest"]
    if mode == "full":
        return EarlyQuote(
            on=on,
            mode=mode,
            interest_to_day=interest_to_day,
            owed=owed_items,
            payoff=payoff,
            advance=loan.advance,
            to_pay=max(0, payoff - loan.advance),
            amount=payoff,
            principal_paid=owed_items["current_principal"] + owed_items["overdue_principal"],
        )
    applied = loan.advance if amount is None else amount
    before_principal = payoff - owed_items["current_principal"]
    if applied <= before_principal:
        raise ServicingError(
            _("The amount must be more than what is owed today besides the principal: %(owed)s.")
            % {"owed": _kzt(before_principal)},
            "amount",
        )
    if applied >= payoff:
        raise ServicingError(_("This amount repays the whole loan: choose full early repayment."), "amount")
    principal_paid = applied - before_principal
    principal_after = owed_items["current_principal"] - principal_paid
    return EarlyQuote(
        on=on,
        mode=mode,
        interest_to_day=interest_to_day,
        owed=owed_items,
        payoff=payoff,
        advance=loan.advance,
        to_pay=max(0, applied - loan.advance),
        amount=applied,
        principal_paid=principal_paid,
        principal_after=principal_after,
        schedule=_new_schedule(loan, on, principal_after, mode),
    )


def _kzt(tiyn: int) -> str:
    from qaryz.core.money import format_money
    from qaryz.servicing.amounts import to_kzt

    return format_money(to_kzt(tiyn), translation_language())


def translation_language() -> str:
    from django.utils import translation

    return (translation.get_language() or "ru")[:2]


def repay_early(
    loan: Loan,
    *,
    mode: str,
    on: dt.date | None = None,
    amount: int | None = None,
    channel: str | None = None,
    payer_reference: str | None = None,
    actor: Any = None,
) -> Loan:
    """Repay early on ``on`` (today). With ``channel`` and ``payer_reference`` the money
    (``amount``) is posted first (``post_payment``: deduplicated, overdue paid, rest advance) and the
    whole advance is then applied; without them ``amount`` (default: the whole advance) is taken
    from the advance. Today's accrual is posted first (key ``accr:<loan>:<D>:1``).

    ``full``: everything owed to the day is paid from the advance (the rest stays an advance), the
    loan closes. ``shorter_term`` / ``lower_instalment``: overdue items and the interest to the day
    are paid, the rest reduces the principal, and a new schedule version starts on ``on``
    (instalment rows ``version + 1``, numbered on from the instalment accruing now)."""
    on = on or timezone.localdate()
    if mode not in MODES:
        raise ServicingError(_("Choose how to repay early."), "mode")
    payment = None
    if channel:
        # The money is posted in its own transaction: should the early repayment be refused
        # (not enough for a full payoff, ...), what came in stays as an advance, never lost.
        if amount is None:
            raise ServicingError(_("The amount must be positive."), "amount")
        payment = post_payment(
            loan,
            channel=channel,
            payer_reference=payer_reference or "",
            amount_tiyn=amount,
            value_date=on,
            actor=actor,
            purpose="early_full" if mode == "full" else "early_partial",
        )
        amount = None  # apply the whole advance, the payment's rest included
    with transaction.atomic():
        if payment is not None:
            payment = Payment.objects.select_for_update().get(pk=payment.pk)
            if "early" in payment.allocation:  # this payment's early repayment was applied before
                _copy_state(Loan.objects.get(pk=loan.pk), loan)
                return loan
        locked = _lock(loan)
        quote = early_repayment_quote(locked, on, amount=amount, mode=mode)
        if quote.amount > locked.advance:
            raise ServicingError(
                _("Pay %(amount)s first: the early repayment is made from money received.")
                % {"amount": _kzt(quote.amount - locked.advance)},
                "amount",
            )
        post_accrual_to_day(locked, on)
        split = allocate(quote.amount, owed(locked, current=True), _early_order(locked.allocation_order))
        parts = {item: value for item, value in split.parts.items() if value}
        key = f"early:{locked.pk}:{uuid.uuid4().hex[:16]}"
        legs = [Leg(AccountKind.ADVANCE, ITEM_ACCOUNT[item], value) for item, value in parts.items()]
        ledger.post(locked, legs, key=key, kind="early_repayment", value_date=on)
        _pay_overdue_instalments([(locked, {k: v for k, v in parts.items() if k in DUE_ITEMS}, on)])
        if mode == "full":
            _write_payoff_row(locked, on, parts)
            close_loan(locked, on, actor=actor)
        else:
            rows = quote.schedule
            write_rows(locked, rows, version=locked.schedule_version + 1)
        _recompute_delay(locked)
        locked.save(update_fields=_LOAN_FIELDS)
        if payment is not None:
            payment.allocation = {**payment.allocation, "early": parts}
            Payment.objects.filter(pk=payment.pk).update(allocation=payment.allocation)
        audit(
            "servicing.early_repayment",
            actor=actor,
            target=locked,
            data={
                "number": locked.number,
                "mode": mode,
                "on": on.isoformat(),
                "amount": quote.amount,
                "interest_to_day": quote.interest_to_day,
                "allocation": parts,
                "schedule_version": locked.schedule_version,
                "payment": payment.pk if payment else None,
            },
        )
    _copy_state(locked, loan)
    return loan


def _early_order(order: list[str]) -> list[str]:
    """What an early repayment pays: the due items (overdue, penalty) in the contract's order, then
    the interest to the day, then the principal – the principal is reduced only once everything
    owed to the day is paid, whatever the contract's order puts first."""
    current = ("current_interest", "current_principal")
    return [item for item in order if item not in current] + list(current)


def write_rows(loan: Loan, rows: list[ScheduleRow], *, version: int) -> list[Instalment]:
    """A new schedule version from ``rows``; the first row becomes the accruing instalment."""
    instalments = [
        Instalment(
            loan=loan,
            version=version,
            number=r.number,
            period_start=r.period_start,
            due_date=r.due_date,
            principal=r.principal,
            interest=r.interest,
            fee=r.fee,
        )
        for r in rows
    ]
    Instalment.objects.bulk_create(instalments)
    loan.schedule_version = version
    set_accruing(loan, instalments[0] if instalments else None)
    return instalments


def _write_payoff_row(loan: Loan, on: dt.date, parts: dict[str, int]) -> None:
    """Full early repayment: a last schedule version of one row, paid – what was repaid on ``on``."""
    start = loan.cur_start or on
    if start >= on:
        start = on - dt.timedelta(days=1)
    principal = parts.get("current_principal", 0)
    interest = parts.get("current_interest", 0)
    Instalment.objects.create(
        loan=loan,
        version=loan.schedule_version + 1,
        number=loan.cur_number or 1,
        period_start=start,
        due_date=on,
        principal=principal,
        interest=interest,
        principal_paid=principal,
        interest_paid=interest,
        fell_due=True,
        paid_on=on,
    )
    loan.schedule_version += 1


# --- advances ------------------------------------------------------------------------------------
def refund_advance(loan: Loan, actor: Any = None) -> int:
    """On the client's request the whole advance becomes a refund payable (transfer advance →
    refund payable); the payout sends it (``refund_paid`` books its confirmation). Returns tiyn."""
    with transaction.atomic():
        locked = _lock(loan)
        amount = locked.advance
        if amount <= 0:
            raise ServicingError(_("There is no overpayment to refund."))
        ledger.post(
            locked,
            [Leg(AccountKind.ADVANCE, AccountKind.REFUND_PAYABLE, amount)],
            key=f"rfd:{locked.pk}:{uuid.uuid4().hex[:16]}",
            kind="refund",
            value_date=timezone.localdate(),
        )
        locked.save(update_fields=["advance", "refund_payable"])
        audit(
            "servicing.refund_requested",
            actor=actor or locked.client,
            target=locked,
            data={"number": locked.number, "amount": amount},
        )
    _copy_state(locked, loan)
    return amount


def refund_paid(
    loan: Loan, *, bank_reference: str, amount: int, value_date: dt.date, channel: str = Channel.BANK
) -> bool:
    """The bank confirmed the refund transfer: refund payable → clearing(channel). Idempotent by
    ``bank_reference``; returns False when it was booked before."""
    with transaction.atomic():
        locked = _lock(loan)
        key = f"rfdpaid:{bank_reference}"[:70]
        if Transfer.objects.filter(key=f"{key}:1").exists():
            return False
        if amount <= 0 or amount > locked.refund_payable:
            raise ServicingError(_("The refund does not match the amount payable."))
        posted = ledger.post(
            locked,
            [Leg(AccountKind.REFUND_PAYABLE, AccountKind.CLEARING, amount, channel=channel)],
            key=key,
            kind="refund_paid",
            value_date=value_date,
        )
        if posted:
            locked.save(update_fields=["refund_payable"])
            audit(
                "servicing.refund_paid",
                target=locked,
                data={"number": locked.number, "amount": amount, "bank_reference": bank_reference},
            )
    _copy_state(locked, loan)
    return posted


def refund_everything_paid(loan: Loan, *, key: str, actor: Any = None) -> int:
    """A court found the client never received the loan (Rules §13, R-FRAUD-4): everything the
    client paid on it (every posted payment, less refunds already paid out) becomes the refund
    payable – the advance held moves to it, the rest is the MFO's loss (write-off expense → refund
    payable). Idempotent by ``key``; returns the refund payable after it. ``payouts.send_refund``
    sends it."""
    from django.db.models import Sum

    with transaction.atomic():
        locked = _lock(loan)
        paid_in = Payment.objects.filter(loan=locked).aggregate(total=Sum("amount"))["total"] or 0
        paid_out = (
            Transfer.objects.filter(loan=locked, kind="refund_paid").aggregate(total=Sum("amount"))["total"]
            or 0
        )
        extra = max(0, paid_in - paid_out - locked.advance - locked.refund_payable)
        moved = locked.advance
        posted = ledger.post(
            locked,
            [
                Leg(AccountKind.ADVANCE, AccountKind.REFUND_PAYABLE, moved),
                Leg(AccountKind.WRITE_OFF, AccountKind.REFUND_PAYABLE, extra),
            ],
            key=f"rfdall:{key}"[:76],
            kind="refund",
            value_date=timezone.localdate(),
        )
        if posted:
            locked.save(update_fields=["advance", "refund_payable"])
            audit(
                "servicing.refund_of_everything_paid",
                actor=actor,
                target=locked,
                data={
                    "number": locked.number,
                    "paid": paid_in,
                    "refunded_before": paid_out,
                    "advance": moved,
                    "loss": extra,
                },
            )
    _copy_state(locked, loan)
    return locked.refund_payable


# --- incoming channels ---------------------------------------------------------------------------
REFERENCE_IN_TEXT = re.compile(r"(?<!\d)(\d{11})(?!\d)")


def loan_by_payment_reference(reference: str) -> Loan | None:
    from qaryz.servicing.services import valid_payment_reference

    if not valid_payment_reference(reference):
        return None
    return Loan.objects.filter(payment_reference=reference).first()


def card_webhook(body: bytes, signature: str) -> Payment | None:
    """The acquirer's webhook: signature checked (HMAC-SHA256, constant time), then the payment
    posted with the acquirer's payment id as payer reference – a redelivered webhook returns the
    same payment. Events other than ``payment.succeeded`` are acknowledged (None).
    Raises AcquirerError (bad signature / malformed) or ServicingError (unknown loan)."""
    from qaryz.servicing.payments_ports import acquirer

    event = acquirer().parse_webhook(body, signature)
    if event.event != "payment.succeeded":
        return None
    loan = loan_by_payment_reference(event.payment_reference)
    if loan is None:
        raise ServicingError(_("No loan has this payment reference."), "payment_reference")
    return post_payment(
        loan,
        channel=Channel.CARD,
        payer_reference=event.payment_id,
        amount_tiyn=event.amount,
        value_date=event.paid_on,
        actor="api:acquirer",
    )


@dataclass
class StatementResult:
    posted: list[Payment] = field(default_factory=list)
    unmatched: list[Any] = field(default_factory=list)  # StatementLine without a known loan reference
    refused: list[tuple[Any, str]] = field(default_factory=list)  # (line, why), e.g. a cancelled loan


STATEMENT_BATCH = 200  # lines posted per transaction


def import_statement(lines: list[Any]) -> StatementResult:
    """Bank statement lines of incoming transfers: each line whose purpose holds a loan's payment
    reference (11 digits, Luhn-valid) is posted with the bank's reference as payer reference
    (importing the same statement twice posts nothing twice), ``STATEMENT_BATCH`` lines per
    transaction (``post_payments``). Money on a line that names no known loan goes to the suspense
    account as a ``SuspenseItem`` (once per bank reference) until an operator assigns it to a loan
    (``assign_suspense``); those lines are returned as ``unmatched``."""
    result = StatementResult()
    matched: list[tuple[Any, Incoming]] = []
    for line in lines:
        loan = None
        for candidate in REFERENCE_IN_TEXT.findall(line.purpose or ""):
            loan = loan_by_payment_reference(candidate)
            if loan is not None:
                break
        if loan is None or line.amount <= 0:
            result.unmatched.append(line)
            if line.amount > 0:
                to_suspense(line)
            else:
                audit(
                    "servicing.statement_line_unmatched",
                    actor="system",
                    data={
                        "bank_reference": line.bank_reference,
                        "amount": line.amount,
                        "purpose": line.purpose[:200],
                    },
                )
            continue
        matched.append(
            (line, Incoming(loan.pk, Channel.BANK, line.bank_reference, line.amount, line.value_date))
        )
    for start in range(0, len(matched), STATEMENT_BATCH):
        part = matched[start : start + STATEMENT_BATCH]
        posted = post_payments([item for _line, item in part], actor="api:bank-statement")
        for (line, _item), outcome in zip(part, posted, strict=True):
            if outcome.error is not None:
                result.refused.append((line, str(outcome.error)))
            else:
                result.posted.append(outcome.payment)
    return result


def to_suspense(line: Any, *, channel: str = Channel.BANK) -> SuspenseItem:
    """Money received that names no known loan: clearing(channel) → suspense, kept as an open
    ``SuspenseItem``. Idempotent by (channel, bank reference)."""
    with transaction.atomic():
        item, created = SuspenseItem.objects.get_or_create(
            channel=channel,
            bank_reference=line.bank_reference[:80],
            defaults={
                "amount": line.amount,
                "value_date": line.value_date,
                "purpose": (line.purpose or "")[:300],
                "payer": (getattr(line, "payer_name", "") or "")[:200],
                "payer_account": (getattr(line, "payer_account", "") or "").replace(" ", "").upper()[:34],
            },
        )
        if created:
            ledger.post_unassigned(
                [Leg(AccountKind.CLEARING, AccountKind.SUSPENSE, item.amount, channel=channel)],
                key=f"susp:{item.pk}",
                kind="suspense",
                value_date=item.value_date,
            )
            audit(
                "servicing.suspense_received",
                actor="system",
                target=item,
                data={"bank_reference": item.bank_reference, "amount": item.amount, "purpose": item.purpose},
            )
    return item


def assign_suspense(item: SuspenseItem, loan: Loan, *, actor: Any) -> Payment:
    """An operator found whose money it is: suspense → clearing, then the loan's payment posted with
    the bank's reference (allocated, receipted, audited like any payment). Once per item."""
    with transaction.atomic():
        locked = SuspenseItem.objects.select_for_update().get(pk=item.pk)
        if locked.status != SuspenseItem.Status.OPEN:
            raise ServicingError(_("This payment has already been assigned to a loan."))
        ledger.post_unassigned(
            [Leg(AccountKind.SUSPENSE, AccountKind.CLEARING, locked.amount, channel=locked.channel)],
            key=f"unsusp:{locked.pk}",
            kind="suspense_assigned",
            value_date=locked.value_date,
        )
        (result,) = post_payments(
            [Incoming(loan.pk, locked.channel, locked.bank_reference, locked.amount, locked.value_date)],
            actor=actor,
        )
        if result.error is not None:
            raise result.error
        if result.duplicate:
            raise ServicingError(_("A payment with this bank reference is posted already."))
        locked.status, locked.payment = SuspenseItem.Status.ASSIGNED, result.payment
        locked.assigned_by, locked.assigned_at = _staff(actor), timezone.now()
        locked.save(update_fields=["status", "payment", "assigned_by", "assigned_at"])
        audit(
            "servicing.suspense_assigned",
            actor=actor,
            target=locked,
            data={"loan": loan.number, "amount": locked.amount, "payment": result.payment.pk},
        )
    item.status, item.payment = locked.status, locked.payment
    return result.payment


def fetch_statement(since: dt.date | None = None) -> StatementResult:
    """Read the incoming-bank port's new statement lines and import them."""
    from qaryz.servicing.payments_ports import incoming_bank

    return import_statement(incoming_bank().statement(since))


def terminal_payment(
    *, terminal_id: str, receipt_number: str, payment_reference: str, amount_tiyn: int, value_date: dt.date
) -> Payment:
    """A cash terminal's payment: deduplicated by the terminal and its receipt number."""
    loan = loan_by_payment_reference(payment_reference.strip())
    if loan is None:
        raise ServicingError(_("No loan has this payment reference."), "payment_reference")
    return post_payment(
        loan,
        channel=Channel.CASH_TERMINAL,
        payer_reference=f"{terminal_id}:{receipt_number}",
        amount_tiyn=amount_tiyn,
        value_date=value_date,
        actor=f"api:terminal-{terminal_id}"[:60],
    )


def cash_desk_payment(
    loan: Loan,
    *,
    cashier: Any,
    cash_order: str,
    amount_tiyn: int,
    token: str,
    value_date: dt.date | None = None,
) -> Payment:
    """Cash taken at the cash desk by staff with ``servicing.post_payment``. ``token``: the form's
    one-time token, so a double submission posts once; ``cash_order``: the cash receipt order number."""
    if cashier is None or not cashier.has_perm("servicing.post_payment"):
        raise ServicingError(_("You may not post cash payments."))
    return post_payment(
        loan,
        channel=Channel.CASH_DESK,
        payer_reference=f"{token}"[:40] + f":{cash_order}"[:40],
        amount_tiyn=amount_tiyn,
        value_date=value_date or timezone.localdate(),
        actor=cashier,
    )


__all__ = [
    "ITEMS",
    "EarlyQuote",
    "Incoming",
    "ScheduleRow",
    "early_repayment_quote",
    "payment_receipt",
    "payment_receipt_pdf",
    "post_payment",
    "post_payments",
    "assign_suspense",
    "to_suspense",
    "refund_advance",
    "refund_paid",
    "refund_everything_paid",
    "repay_early",
]


def start_card_payment(loan: Loan, amount: int) -> Any:
    """Open a card payment of ``amount`` tiyn for an active loan with the acquirer (the cabinet's
    "pay by card" and the API's); the acquirer's signed webhook posts the payment later
    (``card_webhook``). Returns the acquirer's charge (its ``payment_url`` is the card page)."""
    from qaryz.servicing.payments_ports import AcquirerError, acquirer

    if loan.status != Loan.Status.ACTIVE:
        raise ServicingError(_("Payments are accepted for an active loan only."))
    if amount <= 0:
        raise ServicingError(_("The amount must be more than zero."))
    try:
        return acquirer().create_charge(
            payment_reference=loan.payment_reference,
            amount=amount,
            description=_("Repayment of loan %(number)s") % {"number": loan.number},
        )
    except AcquirerError:
        raise ServicingError(_("The card payment could not be started. Please try again later.")) from None
