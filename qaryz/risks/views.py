"""Back-office pages of the risk registers (R-AF-2, R-RISK-1). Permissions: ``risks.view_registers``
to read; ``risks.manage_fraud_risks`` for the fraud-risk register, complaints, investigations and
realised fraud; ``risks.manage_security_risks`` for assets, security risks and estimates."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from qaryz.access.decorators import staff_required
from qaryz.core.middleware import error_response
from qaryz.risks import forms, selectors, services
from qaryz.risks.models import Asset, Complaint, FraudRisk, Investigation, RealisedFraud, SecurityRisk

VIEW = "risks.view_registers"
MANAGE_FRAUD = "risks.manage_fraud_risks"
MANAGE_SECURITY = "risks.manage_security_risks"

# kind in the URL -> (model, form, service, title)
FRAUD_KINDS: dict[str, tuple[Any, Any, Any, Any]] = {
    "risk": (FraudRisk, forms.FraudRiskForm, services.save_fraud_risk, gettext_lazy("Fraud risk")),
    "complaint": (Complaint, forms.ComplaintForm, services.save_complaint, gettext_lazy("Complaint")),
    "investigation": (
        Investigation,
        forms.InvestigationForm,
        services.save_investigation,
        gettext_lazy("Internal investigation"),
    ),
    "realised": (
        RealisedFraud,
        forms.RealisedForm,
        services.record_realised_fraud,
        gettext_lazy("Realised fraud"),
    ),
}
SECURITY_KINDS: dict[str, tuple[Any, Any, Any, Any]] = {
    "asset": (Asset, forms.AssetForm, services.save_asset, gettext_lazy("Information asset")),
    "risk": (
        SecurityRisk,
        forms.SecurityRiskForm,
        services.save_security_risk,
        gettext_lazy("Information-security risk"),
    ),
}


@staff_required(VIEW)
def fraud_register(request: HttpRequest) -> HttpResponse:
    realised, totals = selectors.realised()
    context = {
        "risks": selectors.fraud_risk_rows(),
        "complaints": selectors.complaints(),
        "investigations": selectors.investigations(),
        "realised": realised,
        "totals": totals,
        "can_manage": request.user.has_perm(MANAGE_FRAUD),
        "answer_form": forms.AnswerForm(),
        "findings_form": forms.FindingsForm(),
    }
    return render(request, "risks/fraud.html", context)


def _edit(request, kinds, kind, pk, back, section):
    if kind not in kinds:
        return error_response(request, 404)
    model, form_class, save, title = kinds[kind]
    instance = None
    if pk is not None:
        instance = model.objects.filter(pk=pk).first()
        if instance is None or kind == "realised":  # realised fraud is recorded once, not edited
            return error_response(request, 404)
    initial = {
        "received_on": timezone.localdate(),
        "opened_on": timezone.localdate(),
        "occurred_on": timezone.localdate(),
    }
    form = form_class(request.POST or None, instance=instance, initial=initial if instance is None else None)
    if request.method == "POST" and form.is_valid():
        try:
            save(form.save(commit=False), actor=request.user)
        except services.RiskError as exc:
            form.add_error(None, exc.message)
        except Exception as exc:  # a model validation error raised by full_clean
            from django.core.exceptions import ValidationError

            if not isinstance(exc, ValidationError):
                raise
            form.add_error(None, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(f"{back}#{section.get(kind, '')}")
    return render(
        request, "risks/edit.html", {"form": form, "title": title, "back": back, "instance": instance}
    )


@staff_required(MANAGE_FRAUD)
def fraud_edit(request: HttpRequest, kind: str, pk: int | None = None) -> HttpResponse:
    sections = {
        "risk": "risks",
        "complaint": "complaints",
        "investigation": "investigations",
        "realised": "realised",
    }
    return _edit(request, FRAUD_KINDS, kind, pk, "/backoffice/risks/fraud/", sections)


@require_POST
@staff_required(MANAGE_FRAUD)
def answer_complaint(request: HttpRequest, pk: int) -> HttpResponse:
    complaint = Complaint.objects.filter(pk=pk).first()
    if complaint is None:
        return error_response(request, 404)
    form = forms.AnswerForm(request.POST)
    try:
        if not form.is_valid():
            raise services.RiskError(_("Write the answer."))
        services.answer_complaint(complaint, answer=form.cleaned_data["answer"], actor=request.user)
    except services.RiskError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The answer is recorded."))
    return redirect("/backoffice/risks/fraud/#complaints")


@require_POST
@staff_required(MANAGE_FRAUD)
def close_investigation(request: HttpRequest, pk: int) -> HttpResponse:
    investigation = Investigation.objects.filter(pk=pk).first()
    if investigation is None:
        return error_response(request, 404)
    form = forms.FindingsForm(request.POST)
    try:
        if not form.is_valid():
            raise services.RiskError(_("Write the findings."))
        services.close_investigation(
            investigation, findings=form.cleaned_data["findings"], actor=request.user
        )
    except services.RiskError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The investigation is completed."))
    return redirect("/backoffice/risks/fraud/#investigations")


@staff_required(VIEW)
def security_register(request: HttpRequest) -> HttpResponse:
    context = {
        "assets": selectors.asset_rows(),
        "rows": selectors.security_rows(),
        "threshold": selectors.threshold_kzt(),
        "can_manage": request.user.has_perm(MANAGE_SECURITY),
        "estimate_form": forms.EstimateForm(),
    }
    return render(request, "risks/security.html", context)


@staff_required(VIEW)
def security_export(request: HttpRequest) -> HttpResponse:
    from qaryz.records.services import record_event as audit

    body = selectors.security_csv()
    audit("risks.security_register_exported", category="security", actor=request.user, request=request)
    response = HttpResponse("\ufeff" + body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="security-risks-{timezone.localdate():%Y%m%d}.csv"'
    )
    return response


@staff_required(MANAGE_SECURITY)
def security_edit(request: HttpRequest, kind: str, pk: int | None = None) -> HttpResponse:
    return _edit(
        request, SECURITY_KINDS, kind, pk, "/backoffice/risks/security/", {"asset": "assets", "risk": "risks"}
    )


@require_POST
@staff_required(MANAGE_SECURITY)
def estimate(request: HttpRequest, pk: int) -> HttpResponse:
    risk = SecurityRisk.objects.filter(pk=pk).first()
    if risk is None:
        return error_response(request, 404)
    form = forms.EstimateForm(request.POST)
    try:
        if not form.is_valid():
            raise services.RiskError(_("Name the expert and choose a likelihood from 1 to 5."))
        services.estimate_likelihood(
            risk,
            expert=form.cleaned_data["expert"],
            value=form.cleaned_data["value"],
            rationale=form.cleaned_data["rationale"],
            actor=request.user,
        )
    except services.RiskError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The estimate is recorded."))
    return redirect(f"/backoffice/risks/security/#risk-{risk.pk}")
