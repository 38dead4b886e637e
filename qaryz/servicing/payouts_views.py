"""Cabinet pages of the payout step (R-DISB-1..5) and the payout bank's webhook. Thin: parse, call
``payouts``, render. The loan pages themselves are in ``views.py``."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from qaryz.access.decorators import client_required
from qaryz.core.middleware import error_response
from qaryz.servicing import payouts
from qaryz.servicing.models import Loan
from qaryz.servicing.services import ServicingError

logger = logging.getLogger("qaryz.servicing.webhook")


def _loan_of(request: HttpRequest, loan_id: int) -> Loan | None:
    return (
        Loan.objects.select_related("application__rule_set", "client")
        .filter(pk=loan_id, client=request.client)  # type: ignore[attr-defined]
        .first()
    )


@client_required
def payout_page(request: HttpRequest, loan_id: int) -> HttpResponse:
    loan = _loan_of(request, loan_id)
    if loan is None:
        return error_response(request, 404)
    status = payouts.payout_status(loan)
    here = reverse("servicing:payout", args=[loan.pk])
    biometrics_url = (
        f"/biometrics/verify/?{urlencode({'purpose': status['biometrics_purpose'], 'next': here})}"
    )
    return render(
        request,
        "servicing/payout.html",
        {"loan": loan, "status": status, "biometrics_url": biometrics_url, "request_key": _new_key()},
    )


def _new_key() -> str:
    import secrets

    return secrets.token_urlsafe(16)


@require_POST
@client_required
def payout_consent(request: HttpRequest, loan_id: int) -> HttpResponse:
    loan = _loan_of(request, loan_id)
    if loan is None:
        return error_response(request, 404)
    try:
        payouts.give_consent(loan, actor=request.client)  # type: ignore[attr-defined]
    except ServicingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Thank you: your consent to the payout is recorded."))
    return redirect("servicing:payout", loan_id=loan.pk)


@require_POST
@client_required
def payout_request(request: HttpRequest, loan_id: int) -> HttpResponse:
    loan = _loan_of(request, loan_id)
    if loan is None:
        return error_response(request, 404)
    key = (request.POST.get("key") or "")[:64] or None  # the form's key: a double submit is one payout
    try:
        payouts.request_payout(loan, key=key, actor=request.client)  # type: ignore[attr-defined]
    except ServicingError as exc:
        messages.error(request, exc.message)
    return redirect("servicing:payout", loan_id=loan.pk)


@csrf_exempt  # nosemgrep: django-csrf-exempt – no browser session: the bank's HMAC-signed call
@require_POST
def payout_webhook(request: HttpRequest) -> HttpResponse:
    """The payout bank's signed notice (HMAC-SHA256 of the raw body in ``X-Qaryz-Signature``)."""
    try:
        payout = payouts.handle_webhook(request.body, request.headers.get("X-Qaryz-Signature", ""))
    except payouts.WebhookError as exc:
        logger.warning("payout webhook refused: %s", exc)
        return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({"ok": True, "status": payout.status})
