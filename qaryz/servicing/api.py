"""Mobile / server API endpoints of the servicing room, mounted under /api/v1/servicing/ by
qaryz.api.api: the client's loans with the same data as the cabinet (R-CAB-5, R-CAB-6, R-MOB-1).

Money values are decimal strings in KZT (the ledger's tiyn divided by 100). A loan of another
client is "not found" (404), like a loan that does not exist.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.errors import HttpError
from pydantic import BaseModel as Schema
from pydantic import Field

from qaryz.core.api_errors import not_found
from qaryz.servicing import early, selectors
from qaryz.servicing.amounts import to_kzt, to_tiyn
from qaryz.servicing.models import Loan
from qaryz.servicing.services import ServicingError

router = Router(tags=["servicing"])


def _bearer() -> object:
    from qaryz.access.api_auth import ClientBearer

    # money=True: version policy, device integrity and location on every unsafe call (R-MOB-1)
    return ClientBearer(money=True)


class ErrorOut(Schema):
    error: str = Field(..., description="unauthorized, error or validation_error")
    reference: str = Field("", description="request id to quote to support")
    detail: Any = Field(None, description="what was wrong (field: message), when known")


ERRORS = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class LoanSummaryOut(Schema):
    id: int
    number: str = Field(..., description="contract number")
    status: str = Field(..., description="awaiting, active, closed, cancelled or written_off")
    status_label: str
    principal: Decimal
    debt_total: Decimal = Field(..., description="everything owed today net of the advance")
    days_past_due: int
    disbursed_on: dt.date | None
    closed_on: dt.date | None
    application_id: int = Field(..., description="its contract: GET /api/v1/applications/{id}/contract")


class DebtLineOut(Schema):
    key: str = Field(..., description="principal, interest, penalty or fees")
    label: str
    current: Decimal = Field(..., description="not yet due (interest: accrued to date)")
    due_today: Decimal = Field(..., description="part of the schedule falling due today")
    overdue: Decimal
    total: Decimal


class DebtOut(Schema):
    lines: list[DebtLineOut]
    advance: Decimal = Field(..., description="paid ahead, applied on the next due date")
    total: Decimal
    overdue: Decimal
    due_today: Decimal
    days_past_due: int
    overdue_since: dt.date | None


class InstalmentOut(Schema):
    number: int
    period_start: dt.date
    due_date: dt.date
    principal: Decimal
    interest: Decimal
    fee: Decimal
    total: Decimal
    paid: Decimal
    unpaid: Decimal
    paid_on: dt.date | None
    state: str = Field(..., description="paid, partly_paid, overdue, due_today or upcoming")
    state_label: str


class AllocationOut(Schema):
    kind: str
    label: str
    amount: Decimal


class PaymentOut(Schema):
    id: int
    received_at: dt.datetime
    value_date: dt.date
    amount: Decimal
    channel: str
    channel_label: str
    purpose: str = Field(..., description="instalment, early_partial or early_full")
    purpose_label: str
    allocation: list[AllocationOut]
    receipt_id: str = Field(
        "", description="download at /api/v1/records/receipts/{receipt_id}.pdf (or .json)"
    )


class PaymentsOut(Schema):
    items: list[PaymentOut]
    next_offset: int | None = Field(None, description="pass as offset for the next page; null at the end")


class TransactionOut(Schema):
    id: int
    kind: str
    kind_label: str
    value_date: dt.date
    booking_date: dt.date
    amount: Decimal
    debit: str = Field(..., description="the debited account, in words")
    credit: str = Field(..., description="the credited account, in words")
    reversal: bool


class TransactionsOut(Schema):
    items: list[TransactionOut]
    next_before: int | None = Field(None, description="pass as before for the next (older) page")


class DisbursementOut(Schema):
    code: str = Field(..., description="awaiting, pending, sent, paid, failed, cash_desk or cancelled")
    label: str
    detail: str = Field("", description="what it means and what to do")
    can_request: bool = Field(False, description="the payout can be requested now (payouts API)")
    channel: str
    channel_label: str
    destination: str = Field(..., description="masked account, card or merchant")
    at: dt.datetime | None


class PlaceOut(Schema):
    name: str
    address: str = ""
    hours: str = ""


class HowToRepayOut(Schema):
    payment_reference: str = Field(..., description="write it in the purpose of a transfer (R-CAB-6)")
    recipient: str
    bin: str
    bank_name: str
    bik: str
    iik: str
    kbe: str
    purpose: str = Field(..., description="suggested purpose of payment")
    cash_desks: list[PlaceOut]
    terminals: list[PlaceOut]


class RefundStateOut(Schema):
    can_request: bool = Field(..., description="true: POST …/refund pays the overpayment out now")
    amount: Decimal = Field(..., description="the overpayment (advance and refund payable)")
    last_status: str = Field("", description="the latest refund: pending, sent, confirmed or failed")
    last_status_label: str = ""
    last_amount: Decimal | None = None
    last_account: str = ""


class LoanOut(LoanSummaryOut):
    annual_rate_percent: Decimal
    term_months: int
    payment_reference: str
    debt: DebtOut
    next_instalment: InstalmentOut | None
    disbursement: DisbursementOut
    schedule: list[InstalmentOut] = Field(..., description="the schedule in force, paid rows included")
    recent_payments: list[PaymentOut] = Field(..., description="the five latest; all via /payments")
    how_to_repay: HowToRepayOut
    early_repayment_available: bool
    refund: RefundStateOut | None = Field(None, description="the overpayment refund, when there is one")


class QuoteIn(Schema):
    mode: Literal["full", "shorter_term", "lower_instalment"]
    amount: Decimal | None = Field(
        None, gt=0, max_digits=14, decimal_places=2, description="KZT; required unless mode is full"
    )


class QuoteRowOut(Schema):
    number: int
    due_date: dt.date
    principal: Decimal
    interest: Decimal
    fee: Decimal
    total: Decimal


class QuoteOut(Schema):
    mode: str
    amount: Decimal = Field(..., description="applied by the early repayment (advance included)")
    to_pay: Decimal = Field(..., description="still to pay before confirming (beyond the advance held)")
    interest_to_date: Decimal
    closes_loan: bool
    instalments: list[QuoteRowOut] = Field(..., description="the new schedule (empty when the loan closes)")


# --- helpers -------------------------------------------------------------------------------------
def _owned(request: HttpRequest, loan_id: int) -> Loan:
    loan = selectors.loan_of(request.auth, loan_id)
    if loan is None:
        raise not_found()
    return loan


def _k(tiyn: int) -> Decimal:
    return to_kzt(tiyn)


def _summary(loan: Loan) -> dict:
    return {
        "id": loan.pk,
        "number": loan.number,
        "status": loan.status,
        "status_label": str(loan.get_status_display()),
        "principal": _k(loan.principal),
        "debt_total": _k(selectors.total_debt(loan)),
        "days_past_due": loan.days_past_due,
        "disbursed_on": loan.disbursed_on,
        "closed_on": loan.closed_on,
        "application_id": loan.application_id,
    }


def _row(r: selectors.ScheduleRow) -> dict:
    return {
        "number": r.number,
        "period_start": r.period_start,
        "due_date": r.due_date,
        "principal": _k(r.principal),
        "interest": _k(r.interest),
        "fee": _k(r.fee),
        "total": _k(r.total),
        "paid": _k(r.paid),
        "unpaid": _k(r.unpaid),
        "paid_on": r.paid_on,
        "state": r.state,
        "state_label": r.state_label,
    }


def _payment(p: dict) -> dict:
    return {
        **p,
        "amount": _k(p["amount"]),
        "allocation": [{**a, "amount": _k(a["amount"])} for a in p["allocation"]],
    }


def _debt(d: selectors.Debt) -> dict:
    return {
        "lines": [
            {
                "key": line.key,
                "label": line.label,
                "current": _k(line.current),
                "due_today": _k(line.due_today),
                "overdue": _k(line.overdue),
                "total": _k(line.total),
            }
            for line in d.lines
        ],
        "advance": _k(d.advance),
        "total": _k(d.total),
        "overdue": _k(d.overdue),
        "due_today": _k(d.due_today),
        "days_past_due": d.days_past_due,
        "overdue_since": d.overdue_since,
    }


def _disbursement(s: selectors.DisbursementStatus) -> dict:
    return {
        "code": s.code,
        "label": s.label,
        "channel": s.channel,
        "channel_label": s.channel_label,
        "destination": s.destination,
        "at": s.at,
        "detail": s.detail,
        "can_request": s.can_request,
    }


def _how(h: selectors.HowToRepay) -> dict:
    def place(p: dict) -> dict:
        return {k: str(p.get(k, "")) for k in ("name", "address", "hours")}

    return {
        "payment_reference": h.payment_reference,
        "recipient": h.recipient,
        "bin": h.bin,
        "bank_name": h.bank_name,
        "bik": h.bik,
        "iik": h.iik,
        "kbe": h.kbe,
        "purpose": h.purpose,
        "cash_desks": [place(p) for p in h.cash_desks],
        "terminals": [place(p) for p in h.terminals],
    }


# --- endpoints -----------------------------------------------------------------------------------
@router.get(
    "/loans",
    response={200: list[LoanSummaryOut], 401: ErrorOut},
    auth=_bearer(),
    summary="The client's loans",
)
def list_loans(request: HttpRequest) -> list[dict]:
    """Every loan of the signed-in client, newest first, with today's debt (R-CAB-5)."""
    return [_summary(loan) for loan in selectors.loans_of(request.auth)]


@router.get(
    "/loans/{loan_id}",
    response={200: LoanOut, **ERRORS},
    auth=_bearer(),
    summary="A loan: debt, schedule, payments, disbursement, how to repay",
)
def get_loan(request: HttpRequest, loan_id: int) -> dict:
    """The current debt split into principal, interest, penalty and fees (current / due today /
    overdue, days past due) from the cached balances, the schedule in force with what was paid of
    each instalment, the five latest payments with receipts, the disbursement status and how to
    repay (R-CAB-5, R-CAB-6). A fixed number of queries whatever the loan's history."""
    loan = _owned(request, loan_id)
    today = timezone.localdate()
    instalments = selectors.schedule_instalments(loan)
    rows = selectors.schedule_rows(instalments, today)
    payments, _more = selectors.payments_page(loan, limit=5)
    upcoming = selectors.next_instalment(rows)
    return {
        **_summary(loan),
        "annual_rate_percent": loan.annual_rate_percent,
        "term_months": loan.term_months,
        "payment_reference": loan.payment_reference,
        "debt": _debt(selectors.debt(loan, instalments, today)),
        "next_instalment": _row(upcoming) if upcoming else None,
        "disbursement": _disbursement(selectors.disbursement_status(loan)),
        "schedule": [_row(r) for r in rows],
        "recent_payments": [_payment(p) for p in selectors.payment_rows(payments)],
        "how_to_repay": _how(selectors.how_to_repay(loan)),
        "early_repayment_available": early.available() and loan.status == Loan.Status.ACTIVE,
        "refund": _refund(selectors.refund_state(loan)),
    }


def _refund(state: dict | None) -> dict | None:
    if state is None:
        return None
    last = state["last"]
    return {
        "can_request": state["can_request"],
        "amount": _k(state["amount"]),
        "last_status": last.status if last else "",
        "last_status_label": str(last.get_status_display()) if last else "",
        "last_amount": _k(last.amount) if last else None,
        "last_account": last.destination_masked if last else "",
    }


@router.get(
    "/loans/{loan_id}/schedule",
    response={200: list[InstalmentOut], **ERRORS},
    auth=_bearer(),
    summary="The schedule in force (paid and upcoming instalments)",
)
def get_schedule(request: HttpRequest, loan_id: int) -> list[dict]:
    loan = _owned(request, loan_id)
    return [_row(r) for r in selectors.schedule_rows(selectors.schedule_instalments(loan))]


@router.get(
    "/loans/{loan_id}/transactions",
    response={200: TransactionsOut, **ERRORS},
    auth=_bearer(),
    summary="The loan's ledger transactions, newest first (paginated)",
)
def get_transactions(
    request: HttpRequest,
    loan_id: int,
    before: int | None = Query(None, ge=1, description="next_before of the previous page"),
    limit: int = Query(50, ge=1, le=200),
) -> dict:
    """Each transfer of the loan's double-entry journal: what it was, the accounts in words and the
    amount. Keyset pagination: pass ``next_before`` back as ``before``."""
    loan = _owned(request, loan_id)
    rows, next_before = selectors.transfers_page(loan, before=before, limit=limit)
    return {
        "items": [
            {
                "id": r["id"],
                "kind": r["kind"],
                "kind_label": r["kind_label"],
                "value_date": r["value_date"],
                "booking_date": r["booking_date"],
                "amount": _k(r["amount"]),
                "debit": r["debit_label"],
                "credit": r["credit_label"],
                "reversal": r["reversal"],
            }
            for r in rows
        ],
        "next_before": next_before,
    }


@router.get(
    "/loans/{loan_id}/payments",
    response={200: PaymentsOut, **ERRORS},
    auth=_bearer(),
    summary="The loan's payments with receipts (paginated)",
)
def get_payments(
    request: HttpRequest,
    loan_id: int,
    offset: int = Query(0, ge=0, le=100_000),
    limit: int = Query(20, ge=1, le=100),
) -> dict:
    loan = _owned(request, loan_id)
    rows, more = selectors.payments_page(loan, offset=offset, limit=limit)
    return {
        "items": [_payment(p) for p in selectors.payment_rows(rows)],
        "next_offset": offset + limit if more else None,
    }


@router.get(
    "/loans/{loan_id}/how-to-repay",
    response={200: HowToRepayOut, **ERRORS},
    auth=_bearer(),
    summary="How to repay: payment reference, the MFO's bank details, cash desks and terminals",
)
def get_how_to_repay(request: HttpRequest, loan_id: int) -> dict:
    """R-CAB-6: everything needed to pay by bank transfer, at a cash desk or at a terminal."""
    return _how(selectors.how_to_repay(_owned(request, loan_id)))


def _early_args(loan: Loan, payload: QuoteIn) -> int | None:
    if not early.available():
        raise HttpError(
            422,
            _(
                "Early repayment from the cabinet is not available yet. Please contact the MFO or pay at a cash desk."
            ),
        )
    if loan.status != Loan.Status.ACTIVE:
        raise HttpError(422, "loan: " + _("Payments are accepted for an active loan only."))
    if payload.mode != "full" and payload.amount is None:
        raise HttpError(422, "amount: " + _("Enter the amount of a partial repayment."))
    return None if payload.mode == "full" else to_tiyn(payload.amount)


def _quote_out(q: early.Quote) -> dict:
    return {
        "mode": q.mode,
        "amount": _k(q.amount),
        "to_pay": _k(q.to_pay),
        "interest_to_date": _k(q.interest_to_date),
        "closes_loan": q.closes_loan,
        "instalments": [
            {
                "number": r.number,
                "due_date": r.due_date,
                "principal": _k(r.principal),
                "interest": _k(r.interest),
                "fee": _k(r.fee),
                "total": _k(r.total),
            }
            for r in q.instalments
        ],
    }


@router.post(
    "/loans/{loan_id}/early-repayment/quote",
    response={200: QuoteOut, **ERRORS},
    auth=_bearer(),
    summary="Early-repayment calculator: what to pay and the new schedule",
)
def early_repayment_quote(request: HttpRequest, loan_id: int, payload: QuoteIn) -> dict:
    """Full repayment (interest to the day) or a partial one keeping the instalment (shorter term)
    or the term (lower instalment). Nothing changes until ``/early-repayment`` is called."""
    loan = _owned(request, loan_id)
    amount = _early_args(loan, payload)
    try:
        return _quote_out(early.quote(loan, mode=payload.mode, amount=amount, on=timezone.localdate()))
    except ServicingError as exc:
        raise HttpError(422, f"{exc.field}: {exc.message}" if exc.field else exc.message) from exc


@router.post(
    "/loans/{loan_id}/early-repayment",
    response={200: LoanOut, **ERRORS},
    auth=_bearer(),
    summary="Confirm an early repayment (as quoted)",
)
def early_repayment(request: HttpRequest, loan_id: int, payload: QuoteIn) -> dict:
    loan = _owned(request, loan_id)
    amount = _early_args(loan, payload)
    try:
        early.repay(loan, mode=payload.mode, amount=amount, on=timezone.localdate(), actor=request.auth)
    except ServicingError as exc:
        raise HttpError(422, f"{exc.field}: {exc.message}" if exc.field else exc.message) from exc
    return get_loan(request, loan_id)


# --- restructuring (issue 10 item 6), refund of an overpayment, paying by card: as the cabinet ----
class RestructuringIn(Schema):
    kind: Literal["new_term", "lower_instalment", "holiday"]
    term_months: int | None = Field(None, description="new_term: the new number of monthly instalments")
    max_instalment: Decimal | None = Field(
        None, max_digits=14, decimal_places=2, description="lower_instalment: the highest instalment, KZT"
    )
    holiday_months: int | None = Field(None, description="holiday: months without principal payments")


class RestructuringRowOut(Schema):
    number: int
    due_date: dt.date
    principal: Decimal
    interest: Decimal
    fee: Decimal
    total: Decimal


class RestructuringOut(Schema):
    sequence: int
    number: str = Field(..., description="the supplementary agreement's number")
    kind: str = Field(..., description="new_term, lower_instalment or holiday")
    kind_label: str
    status: str = Field(..., description="draft (awaiting signature), signed or withdrawn")
    status_label: str
    term_months: int
    holiday_months: int
    principal: Decimal = Field(..., description="principal rescheduled (current + overdue)")
    effective_on: dt.date = Field(..., description="the day it was built for: sign it that day")
    pdf_sha256: str
    created_at: dt.datetime
    signed_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    total: Decimal
    rows: list[RestructuringRowOut]


class RestructuringSigningOut(Schema):
    signing_request_id: str = Field(
        ..., description='sign it with /api/v1/signatures/requests/{id}/submit ("" when no EDS is needed)'
    )
    eds_required: bool
    biometrics_purpose: str = Field(
        ..., description="purpose of the biometric session to pass before signing"
    )


class RefundIn(Schema):
    key: str = Field(..., min_length=8, max_length=64, description="idempotency key: one refund per key")


class RefundOut(Schema):
    status: str
    amount: Decimal
    account: str = Field(..., description="the client's verified account, masked")


class CardPaymentIn(Schema):
    amount: Decimal = Field(..., gt=0, max_digits=14, decimal_places=2, description="KZT")


class CardPaymentOut(Schema):
    order_id: str
    payment_url: str = Field(..., description="the acquirer's card page; its webhook posts the payment")


def _refused(exc: Exception) -> HttpError:
    field = getattr(exc, "field", None)
    message = getattr(exc, "message", str(exc))
    return HttpError(422, f"{field}: {message}" if field else message)


def _restructuring(loan: Loan, sequence: int) -> Any:
    from qaryz.servicing.models import Restructuring

    agreement = Restructuring.objects.filter(loan=loan, sequence=sequence).first()
    if agreement is None:
        raise not_found()
    return agreement


def _restructuring_out(item: Any) -> dict:
    rows = [
        {
            "number": row["number"],
            "due_date": dt.date.fromisoformat(row["due_date"]),
            "principal": _k(row["principal"]),
            "interest": _k(row["interest"]),
            "fee": _k(row["fee"]),
            "total": _k(row["principal"] + row["interest"] + row["fee"]),
        }
        for row in item.schedule
    ]
    return {
        "sequence": item.sequence,
        "number": item.number,
        "kind": item.kind,
        "kind_label": str(item.get_kind_display()),
        "status": item.status,
        "status_label": str(item.get_status_display()),
        "term_months": item.term_months,
        "holiday_months": item.holiday_months,
        "principal": _k(item.principal),
        "effective_on": item.effective_on,
        "pdf_sha256": item.pdf_sha256,
        "created_at": item.created_at,
        "signed_at": item.signed_at,
        "withdrawn_at": item.withdrawn_at,
        "total": sum((r["total"] for r in rows), Decimal("0")),
        "rows": rows,
    }


@router.get(
    "/loans/{loan_id}/restructurings",
    response={200: list[RestructuringOut], **ERRORS},
    auth=_bearer(),
    summary="The loan's restructuring agreements, oldest first",
)
def list_restructurings(request: HttpRequest, loan_id: int) -> list[dict]:
    from qaryz.access.api_auth import answer_language
    from qaryz.servicing.models import Restructuring

    loan = _owned(request, loan_id)
    with answer_language(request):
        return [_restructuring_out(r) for r in Restructuring.objects.filter(loan=loan).order_by("sequence")]


@router.post(
    "/loans/{loan_id}/restructurings",
    response={201: RestructuringOut, **ERRORS},
    auth=_bearer(),
    summary="Ask for a new schedule: a new term, a lower instalment or a payment holiday",
)
def propose_restructuring(request: HttpRequest, loan_id: int, payload: RestructuringIn) -> Any:
    """The same checks as the cabinet's form (``restructuring_views.RestructuringForm``) and the
    same service; the draft agreement's PDF and rows are shown before signing. One draft at a time."""
    from ninja import Status

    from qaryz.access.api_auth import answer_language
    from qaryz.lending.errors import FlowError
    from qaryz.servicing import restructuring
    from qaryz.servicing.restructuring_views import RestructuringForm

    loan = _owned(request, loan_id)
    with answer_language(request):
        form = RestructuringForm({k: str(v) for k, v in payload.model_dump().items() if v is not None})
        if not form.is_valid():
            raise HttpError(
                422, "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items())
            )
        data = form.cleaned_data
        try:
            created = restructuring.propose_restructuring(
                loan,
                kind=data["kind"],
                term_months=data.get("term_months"),
                holiday_months=data.get("holiday_months") or 0,
                max_instalment=to_tiyn(data["max_instalment"]) if data.get("max_instalment") else None,
                actor=request.auth,
                language=translation_language(request),
            )
        except (ServicingError, FlowError) as exc:
            raise _refused(exc) from exc
        return Status(201, _restructuring_out(created))


def translation_language(request: HttpRequest) -> str:
    """The language of a document drawn up now: the answer's (Accept-Language, else the client's)."""
    from django.utils.translation import get_language

    from qaryz.access.api_auth import answer_language

    with answer_language(request):
        return (get_language() or "ru")[:2]


@router.get(
    "/loans/{loan_id}/restructurings/{sequence}.pdf",
    auth=_bearer(),
    summary="The agreement's exact PDF (the one signed); before …/{sequence} so that it matches first",
)
def restructuring_pdf(request: HttpRequest, loan_id: int, sequence: int) -> Any:
    from django.http import HttpResponse

    from qaryz.lending.selectors import document_pdf

    item = _restructuring(_owned(request, loan_id), sequence)
    response = HttpResponse(document_pdf(item), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{item.number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@router.get(
    "/loans/{loan_id}/restructurings/{sequence}",
    response={200: RestructuringOut, **ERRORS},
    auth=_bearer(),
    summary="A restructuring agreement and its new schedule",
)
def get_restructuring(request: HttpRequest, loan_id: int, sequence: int) -> dict:
    from qaryz.access.api_auth import answer_language

    item = _restructuring(_owned(request, loan_id), sequence)
    with answer_language(request):
        return _restructuring_out(item)


@router.post(
    "/loans/{loan_id}/restructurings/{sequence}/signing",
    response={200: RestructuringSigningOut, **ERRORS},
    auth=_bearer(),
    summary="Start signing the agreement: the EDS signing request over its exact PDF (R-SIGN-1)",
)
def restructuring_signing(request: HttpRequest, loan_id: int, sequence: int) -> dict:
    """Then pass a biometric session with ``biometrics_purpose`` and call ``…/sign``."""
    from qaryz.lending import signing
    from qaryz.lending.errors import FlowError
    from qaryz.servicing import restructuring

    loan = _owned(request, loan_id)
    item = _restructuring(loan, sequence)
    try:
        request_id = restructuring.start_restructuring_signing(item)
    except FlowError as exc:
        raise _refused(exc) from exc
    return {
        "signing_request_id": request_id,
        "eds_required": signing.eds_required(loan.client),
        "biometrics_purpose": signing.EDS_PURPOSE,
    }


@router.post(
    "/loans/{loan_id}/restructurings/{sequence}/sign",
    response={200: RestructuringOut, **ERRORS},
    auth=_bearer(),
    summary="Complete signing: fresh biometrics AND the accepted EDS; the new schedule is in force",
)
def restructuring_sign(request: HttpRequest, loan_id: int, sequence: int) -> dict:
    from qaryz.access.api_auth import answer_language
    from qaryz.lending.errors import FlowError
    from qaryz.servicing import restructuring

    item = _restructuring(_owned(request, loan_id), sequence)
    with answer_language(request):
        try:
            restructuring.complete_restructuring_signing(item)
        except FlowError as exc:
            raise _refused(exc) from exc
        item.refresh_from_db()
        return _restructuring_out(item)


@router.post(
    "/loans/{loan_id}/restructurings/{sequence}/withdraw",
    response={200: RestructuringOut, **ERRORS},
    auth=_bearer(),
    summary="Withdraw a draft agreement",
)
def restructuring_withdraw(request: HttpRequest, loan_id: int, sequence: int) -> dict:
    from qaryz.access.api_auth import answer_language
    from qaryz.lending.errors import FlowError
    from qaryz.servicing import restructuring

    item = _restructuring(_owned(request, loan_id), sequence)
    with answer_language(request):
        try:
            restructuring.withdraw_restructuring(item, actor=request.auth)
        except (ServicingError, FlowError) as exc:
            raise _refused(exc) from exc
        item.refresh_from_db()
        return _restructuring_out(item)


@router.post(
    "/loans/{loan_id}/refund",
    response={200: RefundOut, **ERRORS},
    auth=_bearer(),
    summary="Refund my overpayment to my verified account (once per key)",
)
def refund_overpayment(request: HttpRequest, loan_id: int, payload: RefundIn) -> dict:
    from qaryz.access.api_auth import answer_language
    from qaryz.servicing import payouts

    loan = _owned(request, loan_id)
    with answer_language(request):
        try:
            refund = payouts.request_overpayment_refund(loan, key=payload.key, actor=request.auth)
        except ServicingError as exc:
            raise _refused(exc) from exc
    return {"status": refund.status, "amount": _k(refund.amount), "account": refund.destination_masked}


@router.post(
    "/loans/{loan_id}/card-payment",
    response={200: CardPaymentOut, **ERRORS},
    auth=_bearer(),
    summary="Pay by card: open the acquirer's payment page for an amount",
)
def card_payment(request: HttpRequest, loan_id: int, payload: CardPaymentIn) -> dict:
    from qaryz.access.api_auth import answer_language
    from qaryz.servicing.repayments import start_card_payment

    loan = _owned(request, loan_id)
    with answer_language(request):
        try:
            charge = start_card_payment(loan, to_tiyn(payload.amount))
        except ServicingError as exc:
            raise _refused(exc) from exc
    from qaryz.servicing.views import card_page_url

    return {"order_id": charge.order_id, "payment_url": card_page_url(charge)}
