"""The back office's "Payouts awaiting second approval" (maker–checker, issue 14 item 1). Thin:
the rules (never the maker, row lock, the transfer's own idempotent path) are in
``qaryz.servicing.approvals``."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qaryz.access.decorators import staff_required
from qaryz.core.middleware import error_response
from qaryz.records.services import record_event as audit
from qaryz.servicing import approvals, payouts
from qaryz.servicing.models import PayoutApproval
from qaryz.servicing.services import ServicingError


@staff_required(approvals.PERMISSION)
def approval_list(request: HttpRequest) -> HttpResponse:
    rows = list(approvals.pending_approvals()[:200])
    audit(
        "staff.viewed_client_list",
        category="security",
        actor=request.user,
        request=request,
        data={"queue": "payout_approvals", "count": len(rows)},
    )
    return render(
        request,
        "servicing/payout_approvals.html",
        {
            "rows": rows,
            "decided": approvals.recent_decisions(),
            "threshold": payouts._money(approvals.threshold_tiyn()),
        },
    )


def _approval(approval_id: int) -> PayoutApproval | None:
    return PayoutApproval.objects.filter(pk=approval_id).first()


@require_POST
@staff_required(approvals.PERMISSION)
def approval_approve(request: HttpRequest, approval_id: int) -> HttpResponse:
    approval = _approval(approval_id)
    if approval is None:
        return error_response(request, 404)
    try:
        approvals.approve(approval, checker=request.user)
    except ServicingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Approved: the cash can be handed out, the loan is active.")
            if approval.kind == PayoutApproval.Kind.CASH_DESK
            else _("Approved: the transfer is sent to the bank."),
        )
    return redirect("backoffice:payout-approvals")


@require_POST
@staff_required(approvals.PERMISSION)
def approval_reject(request: HttpRequest, approval_id: int) -> HttpResponse:
    approval = _approval(approval_id)
    if approval is None:
        return error_response(request, 404)
    try:
        approvals.reject(approval, checker=request.user, reason=request.POST.get("reason", "")[:300])
    except ServicingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Rejected: no money was sent."))
    return redirect("backoffice:payout-approvals")
