"""Back-office pages of the fraud-victim cases (thin: the rules are in ``services``). Permissions:
``fraudcases.view_fraudcase`` to read, ``fraudcases.manage_fraudcase`` to register and act."""

from __future__ import annotations

import re

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qaryz.access.decorators import staff_required
from qaryz.core.middleware import error_response
from qaryz.fraudcases import selectors, services
from qaryz.fraudcases.forms import DocumentForm, RegisterCaseForm, ResumeForm, VerdictForm
from qaryz.fraudcases.models import FraudCase
from qaryz.records.services import record_event as audit
from qaryz.servicing.models import Loan, RefundPayout

VIEW = "fraudcases.view_fraudcase"
MANAGE = "fraudcases.manage_fraudcase"
FILTERS = ("open", "due_today", "overdue", "suspended", "all")


def _upload(file, description: str = "") -> services.Upload:
    if file.size > services.MAX_DOCUMENT_BYTES:
        raise services.CaseError(_("The file is larger than 20 MB."), "document")
    content = file.read()
    return services.Upload(file.name or "document", content, services.sniff_media_type(content), description)


@staff_required(VIEW)
def case_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    show = request.GET.get("show", "open")
    show = show if show in FILTERS else "open"
    rows = selectors.case_rows(selectors.cases(show, today), today)
    audit(
        "staff.viewed_fraud_cases",
        category="security",
        actor=request.user,
        request=request,
        data={"show": show, "count": len(rows)},
    )
    return render(
        request,
        "fraudcases/cases.html",
        {"rows": rows, "show": show, "counts": selectors.counts(today), "today": today},
    )


def _find_loans(text: str) -> tuple[list[Loan], list[str]]:
    numbers = [n for n in re.split(r"[\s,;]+", text.strip()) if n][:20]
    found = {loan.number: loan for loan in Loan.objects.filter(number__in=numbers).select_related("client")}
    return [found[n] for n in numbers if n in found], [n for n in numbers if n not in found]


@staff_required(MANAGE)
def register(request: HttpRequest) -> HttpResponse:
    form = RegisterCaseForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        loans, missing = _find_loans(data["loans"])
        if missing:
            form.add_error(
                "loans", _("No loan with the contract number %(numbers)s.") % {"numbers": ", ".join(missing)}
            )
        elif not loans:
            form.add_error("loans", _("Name at least one loan of the client."))
        else:
            try:
                uploads = [_upload(data["document"])] if data.get("document") else []
                case = services.register_case(
                    client=loans[0].client,
                    kind=data["kind"],
                    received_on=data["received_on"],
                    authority=data["authority"],
                    reference_number=data["reference_number"],
                    document_date=data["document_date"],
                    summary=data["summary"],
                    loans=loans,
                    documents=uploads,
                    unauthorised_access=data["unauthorised_access"],
                    actor=request.user,
                )
            except services.CaseError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(
                    request,
                    _("Case %(number)s registered. Suspension due by %(due)s.")
                    % {"number": case.number, "due": case.suspension_due.strftime("%d.%m.%Y")},
                )
                return redirect("fraudcases:case", case.pk)
    return render(request, "fraudcases/register.html", {"form": form})


@staff_required(VIEW)
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.case_for_staff(case_id)
    if case is None:
        return error_response(request, 404)
    audit("staff.viewed_fraud_case", category="security", actor=request.user, target=case, request=request)
    return _detail(request, case)


def _detail(request: HttpRequest, case: FraudCase, **forms) -> HttpResponse:
    from qaryz.incidents.selectors import incidents_from
    from qaryz.messaging.models import Letter

    today = timezone.localdate()
    context = {
        "case": case,
        "steps": selectors.steps(case, today),
        "case_loans": selectors.case_loans(case),
        "documents": list(case.documents.all()),
        "letters": list(Letter.objects.filter(reference=case.reference).order_by("created_at")),
        "incidents": list(incidents_from(case.source)),
        "refunds": list(RefundPayout.objects.filter(source=case.source).order_by("created_at")),
        "can_manage": request.user.has_perm(MANAGE),
        "document_form": forms.get("document_form") or DocumentForm(),
        "resume_form": forms.get("resume_form") or ResumeForm(),
        "verdict_form": forms.get("verdict_form") or VerdictForm(),
        "today": today,
    }
    return render(request, "fraudcases/case.html", context, status=400 if forms else 200)


def _case_or_404(request: HttpRequest, case_id: int) -> FraudCase | None:
    return selectors.case_for_staff(case_id)


@require_POST
@staff_required(MANAGE)
def add_document(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_or_404(request, case_id)
    if case is None:
        return error_response(request, 404)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_document(
                case,
                _upload(form.cleaned_data["document"], form.cleaned_data["description"]),
                actor=request.user,
            )
        except services.CaseError as exc:
            form.add_error("document", exc.message)
        else:
            messages.success(request, _("The document is kept in the archive."))
            return redirect("fraudcases:case", case.pk)
    return _detail(request, case, document_form=form)


@require_POST
@staff_required(MANAGE)
def suspend(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_or_404(request, case_id)
    if case is None:
        return error_response(request, 404)
    try:
        services.suspend_case(case, actor=request.user)
    except services.CaseError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The loans are suspended and the client has been notified in writing."))
    return redirect("fraudcases:case", case.pk)


@require_POST
@staff_required(MANAGE)
def resume(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_or_404(request, case_id)
    if case is None:
        return error_response(request, 404)
    form = ResumeForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.resume_case(
                case,
                cancelled_on=data["cancelled_on"],
                reference=data["reference"],
                back_accrue=data["back_accrue"],
                actor=request.user,
            )
        except services.CaseError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The loans are resumed and the client has been notified in writing."))
            return redirect("fraudcases:case", case.pk)
    return _detail(request, case, resume_form=form)


@require_POST
@staff_required(MANAGE)
def verdict(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_or_404(request, case_id)
    if case is None:
        return error_response(request, 404)
    form = VerdictForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            case = services.record_verdict(
                case,
                verdict_on=data["verdict_on"],
                court=data["court"],
                reference=data["reference"],
                actor=request.user,
            )
        except services.CaseError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The verdict is recorded and its measures carried out."))
            return redirect("fraudcases:case", case.pk)
    return _detail(request, case, verdict_form=form)


@require_POST
@staff_required(MANAGE)
def refund(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_or_404(request, case_id)
    if case is None:
        return error_response(request, 404)
    try:
        services.carry_out_verdict(case, actor=request.user)
    except services.CaseError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The verdict's measures were carried out again where they were pending."))
    return redirect("fraudcases:case", case.pk)
