"""API of the collections room, mounted under /api/v1/collections/ by qaryz.api.api: the borrower's
request for changed terms after a delay notice (the same rules as the cabinet page)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router
from ninja.errors import HttpError
from pydantic import BaseModel as Schema
from pydantic import Field

from qaryz.collections import selectors, services
from qaryz.collections.models import ChangedTermsRequest
from qaryz.core.api_errors import not_found
from qaryz.servicing import selectors as servicing_selectors
from qaryz.servicing.models import Loan

router = Router(tags=["collections"])


def _bearer() -> object:
    from qaryz.access.api_auth import ClientBearer

    return ClientBearer()


class ErrorOut(Schema):
    error: str = Field(..., description="unauthorized, error or validation_error")
    reference: str = Field("", description="request id to quote to support")
    detail: Any = Field(None, description="what was wrong, in words")


ERRORS = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class RequestOut(Schema):
    id: int
    wish: str = Field(..., description="new_term, lower_instalment or holiday")
    wish_label: str
    received_on: dt.date
    answer_due: dt.date = Field(..., description="the MFO answers by this day")
    status: str = Field(..., description="open, approved or refused")
    status_label: str
    refusal_reason: str = ""
    restructuring: str = Field("", description="number of the agreement to sign, when approved")


class ChangedTermsOut(Schema):
    can_ask: bool = Field(..., description="a request can be sent today")
    notice_on: dt.date | None = Field(None, description="the delay notice the window counts from")
    last_day: dt.date | None = Field(None, description="the last day to ask")
    request: RequestOut | None = None


class ChangedTermsIn(Schema):
    wish: Literal["new_term", "lower_instalment", "holiday"]
    explanation: str = Field("", max_length=2000)


def _owned(request: HttpRequest, loan_id: int) -> Loan:
    loan = servicing_selectors.loan_of(request.auth, loan_id)
    if loan is None:
        raise not_found()
    return loan


def _request_out(item: ChangedTermsRequest) -> dict:
    return {
        "id": item.pk,
        "wish": item.wish,
        "wish_label": item.get_wish_display(),
        "received_on": item.received_on,
        "answer_due": item.answer_due,
        "status": item.status,
        "status_label": item.get_status_display(),
        "refusal_reason": item.refusal_reason,
        "restructuring": item.restructuring.number if item.restructuring_id else "",
    }


def _state(loan: Loan) -> dict:
    window = selectors.changed_terms_window(loan)
    latest = selectors.requests_of(loan).select_related("restructuring").first()
    return {
        "can_ask": loan.status == Loan.Status.ACTIVE and window.allows(timezone.localdate()),
        "notice_on": window.opens_on,
        "last_day": window.last_day,
        "request": _request_out(latest) if latest else None,
    }


@router.get(
    "/loans/{loan_id}/changed-terms",
    response={200: ChangedTermsOut, **ERRORS},
    auth=_bearer(),
    summary="Whether changed terms can be asked for, until when, and the latest request",
)
def get_changed_terms(request: HttpRequest, loan_id: int) -> dict:
    return _state(_owned(request, loan_id))


@router.post(
    "/loans/{loan_id}/changed-terms",
    response={200: ChangedTermsOut, **ERRORS},
    auth=_bearer(),
    summary="Ask for changed terms after a delay notice (within the window)",
)
def post_changed_terms(request: HttpRequest, loan_id: int, payload: ChangedTermsIn) -> dict:
    """Within the window after the delay notice (30 calendar days by default) the borrower may ask
    for a new term, a lower instalment or a payment holiday; the MFO answers by ``answer_due``."""
    loan = _owned(request, loan_id)
    try:
        services.request_changed_terms(
            loan, wish=payload.wish, explanation=payload.explanation, channel="api", actor=request.auth
        )
    except services.CollectionsError as exc:
        raise HttpError(422, f"{exc.field}: {exc.message}" if exc.field else exc.message) from exc
    return _state(loan)
