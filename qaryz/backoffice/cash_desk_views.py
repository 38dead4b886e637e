"""The cash desk (R-DISB-4): loans awaiting a cash payout, and the payout itself after the cashier
identified the client visually against the identity document stored for the client (for a legal
entity: its representative's document and power of attorney). Thin: the rules are in
``qaryz.servicing.payouts``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qaryz.access.decorators import staff_required
from qaryz.clients.models import Client, IdDocType
from qaryz.core.middleware import error_response
from qaryz.records.services import record_event as audit
from qaryz.servicing import approvals, payouts
from qaryz.servicing.models import Loan, PayoutApproval
from qaryz.servicing.services import ServicingError


class CashPayoutForm(forms.Form):
    doc_type = forms.ChoiceField(label=gettext_lazy("Document presented"), choices=IdDocType.choices)
    doc_number = forms.CharField(label=gettext_lazy("Document number"), max_length=20)
    identified = forms.BooleanField(
        label=gettext_lazy("I compared the person with the photo in the document: it is the same person"),
    )
    poa_number = forms.CharField(
        label=gettext_lazy("Power of attorney number"), max_length=50, required=False
    )
    poa_date = forms.DateField(
        label=gettext_lazy("Power of attorney date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


@staff_required("servicing.disburse_cash")
def cash_desk(request: HttpRequest) -> HttpResponse:
    queue = payouts.cash_desk_queue()
    audit(
        "staff.viewed_client_list",
        category="security",
        actor=request.user,
        request=request,
        data={"queue": "cash_desk", "count": len(queue)},
    )
    rows = [(loan, payouts.to_kzt(payouts.net_amount(loan))) for loan in queue]
    waiting = list(approvals.pending_approvals().filter(kind=PayoutApproval.Kind.CASH_DESK)[:100])
    return render(request, "backoffice/cash_desk.html", {"queue": rows, "waiting": waiting})


@staff_required("servicing.disburse_cash")
def cash_desk_payout(request: HttpRequest, loan_id: int) -> HttpResponse:
    loan = Loan.objects.select_related("client", "application__rule_set").filter(pk=loan_id).first()
    if loan is None:
        return error_response(request, 404)
    client = loan.client
    entity = client.kind == Client.Kind.LEGAL_ENTITY
    signer = getattr(client, "signer", None) if entity else None
    form = CashPayoutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payouts.pay_cash(
                loan,
                cashier=request.user,
                doc_type=data["doc_type"],
                doc_number=data["doc_number"],
                poa_number=data["poa_number"] if entity else "",
                poa_date=data["poa_date"] if entity else None,
            )
        except ServicingError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                _(
                    "The client is identified. The payout of %(amount)s under contract %(number)s now waits for a second staff member's approval: hand out the cash once it is approved."
                )
                % {"amount": payouts._money(payouts.net_amount(loan)), "number": loan.number},
            )
            return redirect("backoffice:cash-desk")
    audit(
        "staff.viewed_client",
        category="security",
        actor=request.user,
        target=client,
        request=request,
        data={"loan": loan.pk, "screen": "cash_desk"},
    )
    return render(
        request,
        "backoffice/cash_desk_payout.html",
        {
            "loan": loan,
            "client": client,
            "entity": entity,
            "signer": signer,
            "form": form,
            "status": payouts.payout_status(loan),
            "amount": payouts.to_kzt(payouts.net_amount(loan)),
        },
    )
