"""Cabinet pages of the client's loans (R-CAB-5, R-CAB-6): the list, the loan (debt, schedule,
chart, payments with receipts, disbursement status, how to repay), the payment history and the
early-repayment calculator. Thin: a selector or a service, then render."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from qaryz.access.decorators import client_required
from qaryz.core.forms import MoneyField
from qaryz.core.middleware import error_response
from qaryz.servicing import early, selectors
from qaryz.servicing.amounts import to_tiyn
from qaryz.servicing.models import Loan
from qaryz.servicing.services import ServicingError


def owned_loan(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Passes the client's own loan; anyone else's is "not found" (no existence leak)."""

    @wraps(view)
    def wrapper(request: HttpRequest, loan_id: int, **kwargs: object) -> HttpResponse:
        loan = selectors.loan_of(request.client, loan_id)
        if loan is None:
            return error_response(request, 404)
        return view(request, loan, **kwargs)

    return wrapper


@client_required
def loans(request: HttpRequest) -> HttpResponse:
    rows = list(selectors.loans_of(request.client))
    for row in rows:
        row.debt_total = selectors.total_debt(row)  # type: ignore[attr-defined]
    return render(request, "servicing/loans.html", {"loans": rows})


def _page(request: HttpRequest) -> int:
    try:
        return max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        return 1


@client_required
@owned_loan
def loan(request: HttpRequest, item: Loan) -> HttpResponse:
    today = timezone.localdate()
    instalments = selectors.schedule_instalments(item)
    rows = selectors.schedule_rows(instalments, today)
    payments, more = selectors.payments_page(item, limit=5)
    return render(
        request,
        "servicing/loan.html",
        {
            "loan": item,
            "debt": selectors.debt(item, instalments, today),
            "rows": rows,
            "next": selectors.next_instalment(rows),
            "chart": selectors.schedule_chart(rows),
            "payments": selectors.payment_rows(payments),
            "more_payments": more,
            "disbursement": selectors.disbursement_status(item),
            "repay": selectors.how_to_repay(item),
            "early_available": early.available() and item.status == Loan.Status.ACTIVE,
        },
    )


@client_required
@owned_loan
def payments(request: HttpRequest, item: Loan) -> HttpResponse:
    page = _page(request)
    rows, more = selectors.payments_page(item, offset=(page - 1) * selectors.PAGE_SIZE)
    return render(
        request,
        "servicing/payments.html",
        {
            "loan": item,
            "payments": selectors.payment_rows(rows),
            "page": page,
            "previous_page": page - 1 if page > 1 else None,
            "next_page": page + 1 if more else None,
        },
    )


class EarlyRepaymentForm(forms.Form):
    mode = forms.ChoiceField(
        label=gettext_lazy("What do you want to do?"),
        choices=list(early.MODES.items()),
        widget=forms.RadioSelect,
        initial="shorter_term",
    )
    amount = MoneyField(
        label=gettext_lazy("Amount, KZT (for a partial repayment)"), required=False, min_value=None
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("mode") in ("shorter_term", "lower_instalment"):
            amount = data.get("amount")
            if amount is None:
                self.add_error("amount", _("Enter the amount you want to pay."))
            elif amount <= 0:
                self.add_error("amount", _("The amount must be more than zero."))
        return data

    def amount_tiyn(self) -> int | None:
        if self.cleaned_data["mode"] == "full" or self.cleaned_data.get("amount") is None:
            return None
        return to_tiyn(self.cleaned_data["amount"])


@require_http_methods(["GET", "POST"])
@client_required
@owned_loan
def early_repayment(request: HttpRequest, item: Loan) -> HttpResponse:
    """The calculator: choose full or partial (shorter term / lower instalment), see the new
    schedule, then confirm (R-CAB-5; repayments.early_repayment_quote / repay_early)."""
    today = timezone.localdate()
    context: dict = {
        "loan": item,
        "available": early.available(),
        "active": item.status == Loan.Status.ACTIVE,
    }
    data = request.POST if request.method == "POST" else (request.GET if "mode" in request.GET else None)
    form = EarlyRepaymentForm(data)
    context["form"] = form
    if not context["available"] or not context["active"] or not form.is_bound or not form.is_valid():
        return render(request, "servicing/early.html", context)
    mode, amount = form.cleaned_data["mode"], form.amount_tiyn()
    try:
        if request.method == "POST" and request.POST.get("confirm") == "1":
            early.repay(item, mode=mode, amount=amount, on=today, actor=request.client)
            messages.success(request, _("Done: the early repayment is recorded and the schedule is updated."))
            return redirect("servicing:loan", item.pk)
        context["quote"] = early.quote(item, mode=mode, amount=amount, on=today)
    except ServicingError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    return render(request, "servicing/early.html", context)


@require_GET
@client_required
def receipt(request: HttpRequest, receipt_id: str, fmt: str) -> HttpResponse:
    """The client's own payment receipt (records' download), 404 for anyone else's."""
    from qaryz.records.views import client_receipt

    if fmt not in ("pdf", "json"):
        return error_response(request, 404)
    try:
        return client_receipt(request, receipt_id, fmt)
    except Http404:
        return error_response(request, 404)
