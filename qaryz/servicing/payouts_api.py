"""API of the payout step (mounted under /api/v1/servicing/ by qaryz.api.api): the disbursement
status, the additional consent (R-DISB-5) and "receive the money" (R-DISB-1..4)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from qaryz.core.api_errors import not_found
from qaryz.servicing import payouts
from qaryz.servicing.models import Loan
from qaryz.servicing.services import ServicingError

router = Router(tags=["servicing"])


def _bearer() -> object:
    from qaryz.access.api_auth import ClientBearer

    # money=True: version policy, device integrity and location on every unsafe call (R-MOB-1)
    return ClientBearer(money=True)


class PayoutStatusOut(Schema):
    state: str = Field(
        ..., description="awaiting / approval / pending / sent / paid / failed / rejected / cash_desk"
    )
    label: str
    explanation: str
    method: str
    method_label: str
    destination: str
    amount_tiyn: int
    allowed_at: dt.datetime | None
    cooling_off_over: bool
    consent_required: bool
    consent_given: bool
    needs_biometrics: bool
    can_request: bool


class PayoutIn(Schema):
    idempotency_key: str = Field(..., min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")


class ErrorOut(Schema):
    error: str
    reference: str = ""
    detail: object = None


def _loan(request: HttpRequest, loan_id: int) -> Loan:
    loan = (
        Loan.objects.select_related("application__rule_set", "client")
        .filter(pk=loan_id, client=request.auth)
        .first()
    )
    if loan is None:
        raise not_found()
    return loan


def _out(loan: Loan) -> dict:
    status = payouts.payout_status(loan)
    return {
        **{k: v for k, v in status.items() if k not in ("payout", "amount", "amount_kzt")},
        "amount_tiyn": status["amount"],
    }


def _call(func: object) -> None:
    try:
        func()
    except ServicingError as exc:
        raise HttpError(422, exc.message) from exc


@router.get(
    "/loans/{loan_id}/payout",
    response={200: PayoutStatusOut, 401: ErrorOut, 404: ErrorOut},
    auth=_bearer(),
    summary="Disbursement status of a loan",
)
def payout_status(request: HttpRequest, loan_id: int) -> dict:
    return _out(_loan(request, loan_id))


@router.post(
    "/loans/{loan_id}/payout/consent",
    response={200: PayoutStatusOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    auth=_bearer(),
    summary="The additional consent before disbursement (R-DISB-5)",
)
def payout_consent(request: HttpRequest, loan_id: int) -> dict:
    loan = _loan(request, loan_id)
    _call(lambda: payouts.give_consent(loan, actor=request.auth))
    return _out(loan)


@router.post(
    "/loans/{loan_id}/payout",
    response={200: PayoutStatusOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    auth=_bearer(),
    summary="Receive the money: one payout per loan, idempotent by key (R-DISB-1..5)",
)
def payout_request(request: HttpRequest, loan_id: int, payload: PayoutIn) -> dict:
    loan = _loan(request, loan_id)
    _call(lambda: payouts.request_payout(loan, key=payload.idempotency_key, actor=request.auth))
    return _out(loan)
