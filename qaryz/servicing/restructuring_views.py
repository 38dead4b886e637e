"""Cabinet pages of restructuring (issue 10 item 6): ask for a new schedule, see it with its
agreement before signing, sign it the way the contract was signed (fresh biometrics + EDS) or
withdraw it. Thin: the rules are ``restructuring``'s; these pages only call it and render."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from qaryz.access.decorators import client_required
from qaryz.core.forms import MoneyField
from qaryz.core.middleware import error_response
from qaryz.lending import signing
from qaryz.lending.errors import FlowError
from qaryz.lending.selectors import document_pdf
from qaryz.servicing import restructuring as service
from qaryz.servicing.amounts import to_tiyn
from qaryz.servicing.models import Loan, Restructuring
from qaryz.servicing.services import ServicingError
from qaryz.servicing.views import owned_loan


class RestructuringForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What to change"), choices=Restructuring.Kind.choices, widget=forms.RadioSelect
    )
    term_months = forms.IntegerField(
        label=gettext_lazy("New number of monthly instalments"), min_value=1, max_value=60, required=False
    )
    max_instalment = MoneyField(
        label=gettext_lazy("Highest monthly instalment you can pay, KZT"), required=False
    )
    holiday_months = forms.IntegerField(
        label=gettext_lazy("Months without principal payments"), min_value=1, max_value=6, required=False
    )

    def clean(self) -> dict:
        data = super().clean()
        kind = data.get("kind")
        if kind == Restructuring.Kind.NEW_TERM and not data.get("term_months"):
            self.add_error("term_months", _("Enter the new number of instalments."))
        if kind == Restructuring.Kind.LOWER_INSTALMENT and not data.get("max_instalment"):
            self.add_error("max_instalment", _("Enter the instalment you can pay."))
        if kind == Restructuring.Kind.HOLIDAY and not data.get("holiday_months"):
            self.add_error("holiday_months", _("Enter the number of months."))
        return data


def _own(loan: Loan, sequence: int) -> Restructuring | None:
    return Restructuring.objects.filter(loan=loan, sequence=sequence).first()


@require_http_methods(["GET", "POST"])
@client_required
@owned_loan
def restructuring_new(request: HttpRequest, item: Loan) -> HttpResponse:
    draft = Restructuring.objects.filter(loan=item, status=Restructuring.Status.DRAFT).first()
    if draft is not None:
        return redirect("servicing:restructuring", item.pk, draft.sequence)
    form = RestructuringForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = service.propose_restructuring(
                item,
                kind=data["kind"],
                term_months=data.get("term_months"),
                holiday_months=data.get("holiday_months") or 0,
                max_instalment=to_tiyn(data["max_instalment"]) if data.get("max_instalment") else None,
                actor=request.client,
                language=(request.LANGUAGE_CODE or "ru")[:2],
            )
        except (ServicingError, FlowError) as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("servicing:restructuring", item.pk, created.sequence)
    return render(request, "servicing/restructuring_new.html", {"loan": item, "form": form})


@client_required
@owned_loan
def restructuring_page(request: HttpRequest, item: Loan, sequence: int) -> HttpResponse:
    agreement = _own(item, sequence)
    if agreement is None:
        return error_response(request, 404)
    here = reverse("servicing:restructuring", args=[item.pk, sequence])
    rows = [
        {
            **row,
            "due_date": dt.date.fromisoformat(row["due_date"]),
            "total": row["principal"] + row["interest"] + row["fee"],
        }
        for row in agreement.schedule
    ]
    context: dict = {
        "loan": item,
        "agreement": agreement,
        "rows": rows,
        "total": sum(r["total"] for r in rows),
        "eds_required": signing.eds_required(item.client),
        "biometrics_url": "/biometrics/verify/?" + urlencode({"purpose": signing.EDS_PURPOSE, "next": here}),
    }
    if agreement.status == Restructuring.Status.DRAFT:
        try:
            request_id = service.start_restructuring_signing(agreement)
        except FlowError as exc:
            messages.error(request, exc.message)
            request_id = ""
        if request_id:
            context["eds_url"] = f"/signatures/sign/{request_id}/?{urlencode({'next': here})}"
    return render(request, "servicing/restructuring.html", context)


@client_required
@owned_loan
def restructuring_pdf(request: HttpRequest, item: Loan, sequence: int) -> HttpResponse:
    agreement = _own(item, sequence)
    if agreement is None:
        return error_response(request, 404)
    response = HttpResponse(document_pdf(agreement), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{agreement.number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@client_required
@owned_loan
def restructuring_sign(request: HttpRequest, item: Loan, sequence: int) -> HttpResponse:
    agreement = _own(item, sequence)
    if agreement is None:
        return error_response(request, 404)
    try:
        service.complete_restructuring_signing(agreement)
    except FlowError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The agreement is signed: the new schedule is in force."))
    return redirect("servicing:restructuring", item.pk, sequence)


@require_POST
@client_required
@owned_loan
def restructuring_withdraw(request: HttpRequest, item: Loan, sequence: int) -> HttpResponse:
    agreement = _own(item, sequence)
    if agreement is None:
        return error_response(request, 404)
    try:
        service.withdraw_restructuring(agreement, actor=request.client)
    except (ServicingError, FlowError) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The agreement is withdrawn."))
    return redirect("servicing:loan", item.pk)
