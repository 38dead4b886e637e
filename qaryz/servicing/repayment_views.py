"""Thin web endpoints of the repayment channels: the card acquirer's webhook (HMAC-signed, no
session) and the back-office cash-desk form (staff with ``servicing.post_payment``)."""

from __future__ import annotations

import secrets
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from qaryz.access.decorators import staff_required
from qaryz.core.money import format_money
from qaryz.servicing import repayments
from qaryz.servicing.adapters.acquirer_embedded import SIGNATURE_HEADER
from qaryz.servicing.amounts import to_kzt, to_tiyn
from qaryz.servicing.models import Loan, SuspenseItem, SuspenseReturn
from qaryz.servicing.payments_ports import AcquirerError
from qaryz.servicing.services import ServicingError

MAX_BODY = 16 * 1024


@csrf_exempt  # nosemgrep: django-csrf-exempt – no browser session: the acquirer's signed call
@require_POST
def acquirer_webhook(request: HttpRequest) -> HttpResponse:
    body = request.body[: MAX_BODY + 1]
    if len(body) > MAX_BODY:
        return JsonResponse({"status": "error", "detail": "body too large"}, status=413)
    try:
        payment = repayments.card_webhook(body, request.headers.get(SIGNATURE_HEADER, ""))
    except AcquirerError as exc:
        return JsonResponse({"status": "error", "detail": str(exc)}, status=400)
    except ServicingError as exc:
        return JsonResponse({"status": "error", "detail": exc.message}, status=422)
    return JsonResponse({"status": "ok", "payment": payment.pk if payment else None})


class CashPaymentForm(forms.Form):
    loan = forms.CharField(label=gettext_lazy("Contract number or payment reference"), max_length=30)
    amount = forms.CharField(label=gettext_lazy("Amount received, KZT"), max_length=20)
    cash_order = forms.CharField(label=gettext_lazy("Cash receipt order number"), max_length=30)
    token = forms.CharField(widget=forms.HiddenInput, max_length=40)

    def clean_loan(self) -> Loan:
        value = self.cleaned_data["loan"].strip()
        loan = (
            Loan.objects.filter(number=value).first() or Loan.objects.filter(payment_reference=value).first()
        )
        if loan is None:
            raise forms.ValidationError(_("No loan has this number or payment reference."))
        return loan

    def clean_amount(self) -> int:
        raw = self.cleaned_data["amount"].replace("\u00a0", "").replace(" ", "").replace(",", ".")
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise forms.ValidationError(_("Enter the amount in tenge, e.g. 15000 or 15000,50.")) from None
        if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")) or value > 10**9:
            raise forms.ValidationError(_("Enter the amount in tenge, e.g. 15000 or 15000,50."))
        return to_tiyn(value)


@staff_required("servicing.post_payment")
def cash_desk_payment(request: HttpRequest) -> HttpResponse:
    form = CashPaymentForm(request.POST or None, initial={"token": secrets.token_hex(16)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payment = repayments.cash_desk_payment(
                data["loan"],
                cashier=request.user,
                cash_order=data["cash_order"],
                amount_tiyn=data["amount"],
                token=data["token"],
            )
        except ServicingError as exc:
            form.add_error(None, exc.message)
        else:
            language = (request.LANGUAGE_CODE or "ru")[:2]
            messages.success(
                request,
                _("Payment of %(amount)s posted to loan %(loan)s; the receipt is issued.")
                % {"amount": format_money(to_kzt(payment.amount), language), "loan": data["loan"].number},
            )
            return redirect("servicing:cash-desk-payment")
    return render(request, "servicing/cash_desk_payment.html", {"form": form})


class AssignSuspenseForm(forms.Form):
    loan = CashPaymentForm.base_fields["loan"]
    clean_loan = CashPaymentForm.clean_loan


@staff_required("servicing.post_payment")
def suspense(request: HttpRequest) -> HttpResponse:
    """Unidentified payments (statement lines naming no known loan) and their assignment to a loan."""
    items = list(
        SuspenseItem.objects.filter(status=SuspenseItem.Status.OPEN).order_by("value_date", "id")[:200]
    )
    done = list(
        SuspenseItem.objects.filter(status=SuspenseItem.Status.ASSIGNED)
        .select_related("payment__loan", "assigned_by")
        .order_by("-assigned_at")[:20]
    )
    returns = list(SuspenseReturn.objects.select_related("item", "requested_by")[:20])
    return render(
        request,
        "servicing/suspense.html",
        {"items": items, "done": done, "returns": returns, "form": AssignSuspenseForm()},
    )


@staff_required("servicing.post_payment")
@require_POST
def suspense_return(request: HttpRequest, item_id: int) -> HttpResponse:
    """Send an unidentified payment back to the account it came from."""
    from qaryz.servicing import payouts

    item = get_object_or_404(SuspenseItem, pk=item_id)
    try:
        returned = payouts.return_suspense(item, reason=request.POST.get("reason", ""), actor=request.user)
    except ServicingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _(
                "The return of %(amount)s to the payer's account %(account)s waits for a second staff member's approval."
            )
            % {
                "amount": format_money(to_kzt(returned.amount), (request.LANGUAGE_CODE or "ru")[:2]),
                "account": returned.account,
            },
        )
    return redirect("servicing:suspense")


@staff_required("servicing.post_payment")
@require_POST
def suspense_assign(request: HttpRequest, item_id: int) -> HttpResponse:
    item = get_object_or_404(SuspenseItem, pk=item_id)
    form = AssignSuspenseForm(request.POST)
    language = (request.LANGUAGE_CODE or "ru")[:2]
    if not form.is_valid():
        for error in form.errors.get("loan", []):
            messages.error(request, error)
        return redirect("servicing:suspense")
    try:
        payment = repayments.assign_suspense(item, form.cleaned_data["loan"], actor=request.user)
    except ServicingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Payment of %(amount)s posted to loan %(loan)s; the receipt is issued.")
            % {
                "amount": format_money(to_kzt(payment.amount), language),
                "loan": form.cleaned_data["loan"].number,
            },
        )
    return redirect("servicing:suspense")
