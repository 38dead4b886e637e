"""Read queries of the servicing room: the client's loans and everything the loan page, the API
and the staff loan card show (R-CAB-5, R-CAB-6).

Balances come from the cached columns of ``Loan`` (kept equal to the ledger by ``post`` and the
close of business, checked by ``manage.py check_ledger``); nothing here sums transfers. A loan's
page costs a fixed number of queries whatever its history: the loan row, the schedule in force,
one page of payments or transfers, the latest payout.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qaryz.clients.models import Client
from qaryz.core.selectors import current_mfo_profile
from qaryz.servicing.amounts import to_kzt
from qaryz.servicing.models import (
    AccountKind,
    Channel,
    Instalment,
    LedgerAccount,
    Loan,
    Payment,
    Transfer,
)

# What a transfer did, for people (a kind missing here is shown as "Ledger entry", never its code).
TRANSFER_KINDS: dict[str, Any] = {
    "disbursement": _("Disbursement"),
    "accrual": _("Interest accrued"),
    "interest_accrual": _("Interest accrued"),
    "interest": _("Interest accrued"),
    "due": _("Instalment fell due"),
    "overdue": _("Moved to overdue"),
    "fell_due": _("Instalment fell due"),
    "penalty": _("Penalty accrued"),
    "penalty_accrual": _("Penalty accrued"),
    "payment": _("Payment received"),
    "repayment": _("Payment received"),
    "allocation": _("Payment allocated"),
    "advance": _("Advance applied"),
    "advance_applied": _("Advance applied"),
    "early_repayment": _("Early repayment"),
    "early_partial": _("Early partial repayment"),
    "early_full": _("Full early repayment"),
    "refund": _("Refund of an overpayment"),
    "fee": _("Fee"),
    "write_off": _("Write-off"),
    "reversal": _("Reversal"),
}
PURPOSES: dict[str, Any] = {
    "instalment": _("Instalment"),
    "early_partial": _("Early partial repayment"),
    "early_full": _("Full early repayment"),
}
# What a payment paid, in the borrower's words (the account names are the accountant's).
PAID_PARTS: dict[str, Any] = {
    AccountKind.PRINCIPAL_CURRENT: _("Principal"),
    AccountKind.PRINCIPAL_OVERDUE: _("Overdue principal"),
    AccountKind.INTEREST_ACCRUED: _("Interest"),
    AccountKind.INTEREST_OVERDUE: _("Overdue interest"),
    AccountKind.PENALTY: _("Penalty"),
    AccountKind.FEE_OVERDUE: _("Fees"),
    AccountKind.ADVANCE: _("Advance (paid ahead)"),
    AccountKind.REFUND_PAYABLE: _("To be refunded"),
}
PAGE_SIZE = 20


def transfer_kind_label(kind: str) -> str:
    return str(TRANSFER_KINDS.get(kind, _("Ledger entry")))


def purpose_label(purpose: str) -> str:
    return str(PURPOSES.get(purpose, _("Payment")))


def account_label(kind: str, channel: str = "") -> str:
    """A ledger account's name in the reader's language (the stored name is the language of creation)."""
    if kind == AccountKind.CLEARING and channel in Channel.values:
        return f"{AccountKind(kind).label}: {Channel(channel).label}"
    return str(AccountKind(kind).label) if kind in AccountKind.values else str(_("Ledger account"))


# --- loans of a client ----------------------------------------------------------------------------
def loans_of(client: Client) -> QuerySet[Loan]:
    return Loan.objects.filter(client=client).order_by("-id")


def loan_of(client: Client, loan_id: int) -> Loan | None:
    """The client's own loan, or None (also when it is someone else's: no existence leak)."""
    return loans_of(client).filter(pk=loan_id).first()


def total_debt(loan: Loan) -> int:
    """Everything owed today net of the advance (cached balances)."""
    gross = (
        loan.principal_current
        + loan.principal_overdue
        + loan.interest_accrued
        + loan.interest_overdue
        + loan.penalty
        + loan.fee_overdue
    )
    return max(gross - loan.advance, 0)


# --- the debt ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DebtLine:
    key: str
    label: str
    current: int  # not yet due (tiyn)
    due_today: int  # part of ``current`` falling due today
    overdue: int

    @property
    def total(self) -> int:
        return self.current + self.overdue


@dataclass(frozen=True)
class Debt:
    lines: list[DebtLine]
    advance: int
    days_past_due: int
    overdue_since: dt.date | None
    total: int  # everything owed today, net of the advance: what a full repayment would need
    overdue: int
    due_today: int


def debt(loan: Loan, instalments: list[Instalment], today: dt.date | None = None) -> Debt:
    """The current debt split into principal, interest, penalty and fees, each current / due today /
    overdue, from the cached balances; "due today" from the schedule in force."""
    today = today or timezone.localdate()
    todays = [i for i in instalments if i.due_date == today and not i.fell_due]
    due_p = sum(i.principal - i.principal_paid for i in todays)
    due_i = sum(i.interest - i.interest_paid for i in todays)
    due_f = sum(i.fee - i.fee_paid for i in todays)
    lines = [
        DebtLine("principal", str(_("Principal")), loan.principal_current, due_p, loan.principal_overdue),
        DebtLine("interest", str(_("Interest")), loan.interest_accrued, due_i, loan.interest_overdue),
        DebtLine("penalty", str(_("Penalty")), 0, 0, loan.penalty),
        DebtLine("fees", str(_("Fees")), 0, due_f, loan.fee_overdue),
    ]
    gross = sum(line.total for line in lines)
    overdue = sum(line.overdue for line in lines)
    return Debt(
        lines=lines,
        advance=loan.advance,
        days_past_due=loan.days_past_due,
        overdue_since=loan.overdue_since,
        total=max(gross - loan.advance, 0),
        overdue=overdue,
        due_today=due_p + due_i + due_f,
    )


# --- the schedule in force -----------------------------------------------------------------------
@dataclass(frozen=True)
class ScheduleRow:
    number: int
    period_start: dt.date
    due_date: dt.date
    principal: int
    interest: int
    fee: int
    total: int
    paid: int
    unpaid: int
    paid_on: dt.date | None
    state: str  # paid / partly_paid / overdue / due_today / upcoming
    state_label: str


STATE_LABELS = {
    "paid": _("Paid"),
    "partly_paid": _("Partly paid"),
    "overdue": _("Overdue"),
    "due_today": _("Due today"),
    "upcoming": _("Upcoming"),
}


def schedule_instalments(loan: Loan) -> list[Instalment]:
    return list(Instalment.objects.filter(loan=loan, version=loan.schedule_version).order_by("number"))


def schedule_rows(instalments: list[Instalment], today: dt.date | None = None) -> list[ScheduleRow]:
    today = today or timezone.localdate()
    rows = []
    for i in instalments:
        paid = i.principal_paid + i.interest_paid + i.fee_paid
        if i.unpaid == 0:
            state = "paid"
        elif i.fell_due or i.due_date < today:
            state = "overdue"
        elif i.due_date == today:
            state = "due_today"
        elif paid:
            state = "partly_paid"
        else:
            state = "upcoming"
        rows.append(
            ScheduleRow(
                number=i.number,
                period_start=i.period_start,
                due_date=i.due_date,
                principal=i.principal,
                interest=i.interest,
                fee=i.fee,
                total=i.total,
                paid=paid,
                unpaid=i.unpaid,
                paid_on=i.paid_on,
                state=state,
                state_label=str(STATE_LABELS[state]),
            )
        )
    return rows


def schedule_chart(rows: list[ScheduleRow], width: int = 640, height: int = 140) -> dict:
    """SVG bars of each instalment (paid part and what is left), like lending's draft chart."""
    if not rows:
        return {"bars": [], "width": width, "height": height}
    top = max(r.total for r in rows) or 1
    group = (width - 40) / len(rows)
    bars = []
    colours = {"paid": "#0b6e4f", "left": "#f2a900", "overdue": "#b3261e"}
    for k, r in enumerate(rows):
        x = round(30 + k * group, 1)
        w = round(max(group * 0.8, 1.0), 1)
        paid_h = (r.paid / top) * (height - 30)
        left_h = (r.unpaid / top) * (height - 30)
        base = height - 20
        title = f"№{r.number} {r.due_date:%d.%m.%Y}: {r.state_label}"
        if paid_h:
            bars.append(
                {
                    "x": x,
                    "y": round(base - paid_h, 1),
                    "w": w,
                    "h": round(paid_h, 1),
                    "fill": colours["paid"],
                    "title": title,
                }
            )
        if left_h:
            fill = colours["overdue"] if r.state == "overdue" else colours["left"]
            bars.append(
                {
                    "x": x,
                    "y": round(base - paid_h - left_h, 1),
                    "w": w,
                    "h": round(left_h, 1),
                    "fill": fill,
                    "title": title,
                }
            )
    return {
        "bars": bars,
        "width": width,
        "height": height,
        "legend": [
            (str(_("Paid")), colours["paid"]),
            (str(_("To pay")), colours["left"]),
            (str(_("Overdue")), colours["overdue"]),
        ],
    }


# --- payments and receipts -----------------------------------------------------------------------
def payments_page(loan: Loan, *, offset: int = 0, limit: int = PAGE_SIZE) -> tuple[list[Payment], bool]:
    """One page of the loan's payments, newest first, and whether there are more (no COUNT)."""
    rows = list(
        Payment.objects.filter(loan=loan).order_by("-received_at", "-id")[offset : offset + limit + 1]
    )
    return rows[:limit], len(rows) > limit


def receipt_of_payment(client: Client, reference: str) -> Any:
    """The client's receipt named by ``Payment.receipt_document_id`` (the receipt's id or its
    document's id), or None."""
    from qaryz.records.selectors import receipts_of

    if not reference:
        return None
    try:
        return receipts_of(client).filter(Q(pk=reference) | Q(document_id=reference)).first()
    except (ValueError, TypeError, ValidationError):  # not a UUID
        return None


def receipt_ids(payments: list[Payment]) -> dict[str, str]:
    """``receipt_document_id`` -> the receipt's id, for one page of payments (one query)."""
    from qaryz.records.models import Receipt

    refs = [p.receipt_document_id for p in payments if p.receipt_document_id]
    if not refs:
        return {}
    import uuid

    valid = []
    for ref in refs:
        try:
            valid.append(uuid.UUID(ref))
        except ValueError:
            continue
    found: dict[str, str] = {}
    for receipt_id, document_id in Receipt.objects.filter(
        Q(pk__in=valid) | Q(document_id__in=valid)
    ).values_list("id", "document_id"):
        found[str(receipt_id)] = str(receipt_id)
        found[str(document_id)] = str(receipt_id)
    return {ref: found[ref] for ref in refs if ref in found}


# --- ledger transfers ----------------------------------------------------------------------------
def _accounts() -> dict[int, tuple[str, str, str]]:
    """id -> (number, kind, channel) of every ledger account (a small table, read once per call)."""
    return {
        a: (n, k, c) for a, n, k, c in LedgerAccount.objects.values_list("id", "number", "kind", "channel")
    }


def transfers_page(
    loan: Loan, *, before: int | None = None, limit: int = 50
) -> tuple[list[dict], int | None]:
    """One page of the loan's transfers, newest first (keyset on id: the index ``transfer_loan_id``);
    returns the rows and the cursor of the next page (None at the end)."""
    qs = Transfer.objects.filter(loan=loan)
    if before is not None:
        qs = qs.filter(id__lt=before)
    rows = list(
        qs.order_by("-id").values(
            "id",
            "kind",
            "entry",
            "debit_id",
            "credit_id",
            "amount",
            "value_date",
            "booking_date",
            "reversal_of_id",
        )[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    accounts = _accounts() if rows else {}
    out = []
    for r in rows:
        debit, credit = accounts[r["debit_id"]], accounts[r["credit_id"]]
        out.append(
            {
                "id": r["id"],
                "kind": r["kind"],
                "kind_label": transfer_kind_label(r["kind"]),
                "entry": r["entry"],
                "amount": r["amount"],
                "value_date": r["value_date"],
                "booking_date": r["booking_date"],
                "debit_number": debit[0],
                "debit_kind": debit[1],
                "debit_label": account_label(debit[1], debit[2]),
                "credit_number": credit[0],
                "credit_kind": credit[1],
                "credit_label": account_label(credit[1], credit[2]),
                "reversal": r["reversal_of_id"] is not None,
            }
        )
    return out, (rows[-1]["id"] if more else None)


# --- disbursement status -------------------------------------------------------------------------
@dataclass(frozen=True)
class DisbursementStatus:
    code: str  # awaiting / approval / pending / sent / paid / failed / rejected / cash_desk / cancelled
    label: str
    channel: str = ""
    channel_label: str = ""
    destination: str = ""
    at: dt.datetime | None = None
    detail: str = ""
    can_request: bool = False  # the client may (re)request the payout now (payouts' page)


DISBURSEMENT_LABELS = {
    "awaiting": _("Awaiting disbursement"),
    "pending": _("Being sent to the bank"),
    "sent": _("Sent, awaiting the bank's confirmation"),
    "paid": _("Paid out"),
    "failed": _("The payout failed; we will contact you"),
    "cash_desk": _("Awaiting you at the cash desk"),
    "cancelled": _("Cancelled before disbursement"),
}


def disbursement_status(loan: Loan) -> DisbursementStatus:
    """Where the money is, as ``payouts.payout_status`` tells it (state, texts, the payout row)."""
    from qaryz.servicing import payouts

    answer = payouts.payout_status(loan)
    payout = answer.get("payout")
    code = "cancelled" if loan.status == Loan.Status.CANCELLED else answer["state"]
    label = str(answer.get("label") or DISBURSEMENT_LABELS[code])
    detail = str(answer.get("explanation") or "")
    can_request = bool(answer.get("can_request"))
    channel = getattr(payout, "channel", "") if payout is not None else ""
    at = None
    if payout is not None:
        at = payout.confirmed_at or payout.sent_at or payout.created_at
    return DisbursementStatus(
        code=code,
        label=label,
        channel=channel,
        channel_label=str(Channel(channel).label) if channel in Channel.values else "",
        destination=payout.destination_masked if payout is not None else "",
        at=at,
        detail=detail,
        can_request=can_request,
    )


# --- how to repay (R-CAB-6) ----------------------------------------------------------------------
@dataclass(frozen=True)
class HowToRepay:
    payment_reference: str
    recipient: str
    bin: str
    bank_name: str
    bik: str
    iik: str
    kbe: str
    purpose: str
    cash_desks: list[dict] = field(default_factory=list)
    terminals: list[dict] = field(default_factory=list)


def how_to_repay(loan: Loan) -> HowToRepay:
    mfo = current_mfo_profile()
    places = [p for p in getattr(settings, "SERVICING_CASH_DESKS", []) if isinstance(p, dict)]
    return HowToRepay(
        payment_reference=loan.payment_reference,
        recipient=mfo.legal_name,
        bin=mfo.bin,
        bank_name=getattr(mfo, "bank_name", ""),
        bik=getattr(mfo, "bank_bic", ""),
        iik=getattr(mfo, "bank_account", ""),
        kbe=getattr(mfo, "kbe", ""),
        purpose=str(_("Repayment of loan %(number)s, payment reference %(reference)s"))
        % {"number": loan.number, "reference": loan.payment_reference},
        cash_desks=[p for p in places if p.get("kind", "cash_desk") == "cash_desk"],
        terminals=[p for p in places if p.get("kind") == "terminal"],
    )


# --- the next payment ----------------------------------------------------------------------------
def next_instalment(rows: list[ScheduleRow]) -> ScheduleRow | None:
    """The next instalment to pay on time (what is overdue is shown as overdue, not as "next")."""
    return next((r for r in rows if r.state not in ("paid", "overdue")), None)


def kzt(tiyn: int) -> Any:
    """Tiyn as a KZT Decimal (for the ``money`` filter and API schemas)."""
    return to_kzt(tiyn)


# --- staff: the loan card ------------------------------------------------------------------------
def loan_for_staff(loan_id: int) -> Loan | None:
    return (
        Loan.objects.select_related("client", "product", "rule_set", "application").filter(pk=loan_id).first()
    )


def loans_search(query: str) -> QuerySet[Loan]:
    qs = Loan.objects.select_related("client").order_by("-id")
    query = query.strip()
    if query:
        qs = qs.filter(
            Q(number__icontains=query)
            | Q(payment_reference=query)
            | Q(client__iin=query)
            | Q(client__bin=query)
        )
    return qs


def payment_rows(payments: list[Payment]) -> list[dict]:
    """Payments as the pages and the API show them: labels instead of codes, the receipt's id."""
    receipts = receipt_ids(payments)
    rows = []
    for p in payments:
        allocation = p.allocation if isinstance(p.allocation, dict) else {}
        rows.append(
            {
                "id": p.pk,
                "received_at": p.received_at,
                "value_date": p.value_date,
                "amount": p.amount,
                "channel": p.channel,
                "channel_label": str(Channel(p.channel).label) if p.channel in Channel.values else "",
                "purpose": p.purpose,
                "purpose_label": purpose_label(p.purpose),
                "allocation": [
                    {
                        "kind": kind,
                        "label": str(PAID_PARTS.get(kind) or account_label(kind)),
                        "amount": int(amount),
                    }
                    for kind, amount in allocation.items()
                    if isinstance(amount, int) and amount
                ],
                "receipt_id": receipts.get(p.receipt_document_id, ""),
            }
        )
    return rows


def restructurings_of(loan: Loan) -> list[Any]:
    """The loan's supplementary agreements (restructurings), newest first: the loan page lists
    them, so one awaiting signature – the client's own request or one the MFO approved after a
    request for changed terms – is found from the loan (R-CAB-3)."""
    from qaryz.servicing.models import Restructuring

    return list(Restructuring.objects.filter(loan=loan).order_by("-sequence"))


def refund_state(loan: Loan) -> dict[str, Any] | None:
    """The client's overpayment refund as the loan page and the API show it (issue 10 item 4):
    whether a refund can be asked for now, of how much (tiyn), and the latest refund; None when
    there is nothing to show."""
    from qaryz.servicing.models import RefundPayout

    last = RefundPayout.objects.filter(loan=loan).order_by("-created_at", "-id").first()
    can = loan.suspended_from is None and (loan.advance > 0 or loan.refund_payable > 0)
    if not can and last is None:
        return None
    return {
        "can_request": can and (last is None or last.status in ("confirmed", "failed")),
        "amount": loan.advance + loan.refund_payable,
        "last": last,
    }
