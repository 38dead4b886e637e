"""Back-office pages of collections (routed by ``qaryz.backoffice.urls``): the changed-terms
requests with their answer deadlines and the answer, collection actions and the write-off
proposal from the staff loan card, and the write-offs awaiting a second person's approval."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qaryz.access.decorators import staff_required
from qaryz.collections import forms, selectors, services
from qaryz.collections.models import ChangedTermsRequest, WriteOffDecision
from qaryz.core.middleware import error_response
from qaryz.records.services import record_event as audit
from qaryz.servicing.amounts import to_tiyn
from qaryz.servicing.models import Loan


@staff_required("collections.view_changedtermsrequest")
def request_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    if status not in (*ChangedTermsRequest.Status.values, "all"):
        status = "open"
    rows = list(selectors.request_queue(status)[:200])
    today = timezone.localdate()
    audit("staff.viewed_changed_terms_requests", category="security", actor=request.user, request=request)
    return render(
        request,
        "collections/requests.html",
        {
            "rows": rows,
            "today": today,
            "status": status,
            "statuses": [
                ("open", _("Awaiting an answer")),
                ("approved", _("Approved")),
                ("refused", _("Refused")),
                ("all", _("All")),
            ],
            "overdue": sum(1 for r in rows if r.status == "open" and r.answer_due < today),
            "due_today": sum(1 for r in rows if r.status == "open" and r.answer_due == today),
        },
    )


def _request(request_id: int) -> ChangedTermsRequest | None:
    return (
        ChangedTermsRequest.objects.select_related("loan__client", "notice", "restructuring")
        .filter(pk=request_id)
        .first()
    )


@staff_required("collections.view_changedtermsrequest")
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    item = _request(request_id)
    if item is None:
        return error_response(request, 404)
    audit(
        "staff.viewed_changed_terms_request",
        category="security",
        actor=request.user,
        target=item.loan,
        request=request,
    )
    return _detail(request, item, forms.ApproveForm(), forms.RefuseForm())


def _detail(
    request: HttpRequest, item: ChangedTermsRequest, approve, refuse, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "collections/request.html",
        {
            "item": item,
            "today": timezone.localdate(),
            "approve_form": approve,
            "refuse_form": refuse,
            "can_answer": request.user.has_perm("collections.answer_changed_terms"),
        },
        status=status,
    )


@require_POST
@staff_required("collections.answer_changed_terms")
def request_approve(request: HttpRequest, request_id: int) -> HttpResponse:
    item = _request(request_id)
    if item is None:
        return error_response(request, 404)
    form = forms.ApproveForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.approve_changed_terms(
                item,
                staff=request.user,
                kind=data["kind"],
                term_months=data["term_months"],
                holiday_months=data["holiday_months"] or 0,
                max_instalment=to_tiyn(data["max_instalment"]) if data["max_instalment"] else None,
            )
        except services.CollectionsError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Approved: the agreement is waiting for the client's signature."))
            return redirect("backoffice:collections-request", item.pk)
    return _detail(request, item, form, forms.RefuseForm(), status=422)


@require_POST
@staff_required("collections.answer_changed_terms")
def request_refuse(request: HttpRequest, request_id: int) -> HttpResponse:
    item = _request(request_id)
    if item is None:
        return error_response(request, 404)
    form = forms.RefuseForm(request.POST)
    if form.is_valid():
        try:
            services.refuse_changed_terms(item, staff=request.user, reason=form.cleaned_data["reason"])
        except services.CollectionsError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Refused: the client is told in writing."))
            return redirect("backoffice:collections-request", item.pk)
    return _detail(request, item, forms.ApproveForm(), form, status=422)


def _loan(loan_id: int) -> Loan | None:
    return Loan.objects.select_related("client").filter(pk=loan_id).first()


@require_POST
@staff_required("collections.log_collection_action")
def loan_action(request: HttpRequest, loan_id: int) -> HttpResponse:
    """An SMS reminder (``kind=reminder``) or a logged call, from the staff loan card."""
    loan = _loan(loan_id)
    if loan is None:
        return error_response(request, 404)
    kind = request.POST.get("kind", "")
    try:
        if kind == "call":
            form = forms.CallForm(request.POST)
            if not form.is_valid():
                raise services.CollectionsError(
                    _("Choose the outcome of the call; a promised date must be a date.")
                )
            services.log_action(
                loan,
                staff=request.user,
                kind="call",
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                promised_on=form.cleaned_data["promised_on"],
            )
            messages.success(request, _("The call is logged."))
        else:
            services.log_action(
                loan, staff=request.user, kind="reminder", note=request.POST.get("note", "")[:2000]
            )
            messages.success(request, _("The reminder is sent."))
    except services.CollectionsError as exc:
        messages.error(request, exc.message)
    return redirect("backoffice:loan", loan.pk)


@require_POST
@staff_required("collections.propose_write_off")
def write_off_propose(request: HttpRequest, loan_id: int) -> HttpResponse:
    loan = _loan(loan_id)
    if loan is None:
        return error_response(request, 404)
    form = forms.WriteOffForm(request.POST)
    try:
        if not form.is_valid():
            raise services.CollectionsError(_("Give the reason for the write-off."))
        services.propose_write_off(loan, reason=form.cleaned_data["reason"], maker=request.user)
    except services.CollectionsError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The write-off is proposed; another person must approve it."))
    return redirect("backoffice:loan", loan.pk)


@staff_required("collections.view_writeoffdecision")
def write_off_list(request: HttpRequest) -> HttpResponse:
    rows = list(selectors.write_off_queue()[:200])
    audit("staff.viewed_write_offs", category="security", actor=request.user, request=request)
    return render(
        request,
        "collections/write_offs.html",
        {
            "rows": rows,
            "can_approve": request.user.has_perm("collections.approve_write_off"),
            "labels": dict(_receivable_labels()),
        },
    )


def _receivable_labels() -> list[tuple[str, str]]:
    from qaryz.servicing.models import AccountKind

    return [(str(kind), str(AccountKind(kind).label)) for kind in services.RECEIVABLES]


def _decision(decision_id: int) -> WriteOffDecision | None:
    return WriteOffDecision.objects.select_related("loan").filter(pk=decision_id).first()


@require_POST
@staff_required("collections.approve_write_off")
def write_off_approve(request: HttpRequest, decision_id: int) -> HttpResponse:
    decision = _decision(decision_id)
    if decision is None:
        return error_response(request, 404)
    try:
        services.approve_write_off(decision, checker=request.user)
    except services.CollectionsError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The loan is written off and the client is told in writing."))
    return redirect("backoffice:collections-write-offs")


@require_POST
@staff_required("collections.approve_write_off")
def write_off_reject(request: HttpRequest, decision_id: int) -> HttpResponse:
    decision = _decision(decision_id)
    if decision is None:
        return error_response(request, 404)
    form = forms.RejectWriteOffForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.reject_write_off(decision, checker=request.user, reason=reason)
    except services.CollectionsError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The write-off is rejected."))
    return redirect("backoffice:collections-write-offs")
