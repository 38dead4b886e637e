"""Cabinet pages of the client's loans (R-CAB-5, R-CAB-6): the list, the loan (debt, schedule,
chart, payments with receipts, disbursement status, how to repay), the payment history and the
early-repayment calculator. Thin: a selector or a service, then render."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
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
    owed = selectors.debt(item, instalments, today)
    upcoming = selectors.next_instalment(rows)
    suggested = owed.overdue or (upcoming.unpaid if upcoming else 0)
    return render(
        request,
        "servicing/loan.html",
        {
            "loan": item,
            "suggested_payment": selectors.kzt(max(suggested - item.advance, 0))
            if suggested > item.advance
            else None,
            "debt": owed,
            "rows": rows,
            "next": upcoming,
            "chart": selectors.schedule_chart(rows),
            "payments": selectors.payment_rows(payments),
            "more_payments": more,
            "disbursement": selectors.disbursement_status(item),
            "repay": selectors.how_to_repay(item),
            "early_available": early.available() and item.status == Loan.Status.ACTIVE,
            "refund": _refund_state(item),
            "agreements": selectors.restructurings_of(item),
        },
    )


def _refund_state(item: Loan) -> dict[str, object] | None:
    """What the loan page shows of the client's overpayment refund, with the form's idempotency key."""
    state = selectors.refund_state(item)
    return None if state is None else {**state, "key": uuid.uuid4().hex}


@require_http_methods(["POST"])
@client_required
@owned_loan
def refund_request(request: HttpRequest, item: Loan) -> HttpResponse:
    """The client's "refund my overpayment": paid out to the client's verified account, once per
    form (its hidden key is the idempotency key)."""
    from qaryz.servicing import payouts

    key = (request.POST.get("key") or "")[:64]
    try:
        refund = payouts.request_overpayment_refund(item, key=key or uuid.uuid4().hex, actor=request.client)
    except ServicingError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The refund of %(amount)s is on its way to %(account)s.")
            % {"amount": payouts._money(refund.amount), "account": refund.destination_masked},
        )
    return redirect("servicing:loan", item.pk)


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
    context["back_here"] = (
        f"{request.path}?{urlencode({'mode': mode, 'amount': request.POST.get('amount') or request.GET.get('amount') or ''})}"
    )
    try:
        if request.method == "POST" and request.POST.get("confirm") == "1":
            early.repay(item, mode=mode, amount=amount, on=today, actor=request.client)
            messages.success(request, _("Done: the early repayment is recorded and the schedule is updated."))
            return redirect("servicing:loan", item.pk)
        context["quote"] = early.quote(item, mode=mode, amount=amount, on=today)
        context["quote_to_pay_kzt"] = str(selectors.kzt(context["quote"].to_pay))
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


# --- paying by card from the cabinet (the acquirer's page; embedded: a demo page here) -------------
class CardPaymentForm(forms.Form):
    amount = MoneyField(label=gettext_lazy("Amount, KZT"), min_value=Decimal("1"))


def _safe_next(value: str, loan: Loan) -> str:
    prefix = reverse("servicing:loan", args=[loan.pk])
    return value if value.startswith(prefix) and "//" not in value else prefix


@require_http_methods(["POST"])
@client_required
@owned_loan
def pay_card(request: HttpRequest, item: Loan) -> HttpResponse:
    """Open a card payment of ``amount`` for this loan with the acquirer and send the client to
    its payment page; the acquirer's webhook posts the payment (repayments.card_webhook)."""
    from qaryz.servicing.repayments import start_card_payment

    form = CardPaymentForm(request.POST)
    back = _safe_next(request.POST.get("next", ""), item)
    if item.status != Loan.Status.ACTIVE:
        messages.error(request, _("Payments are accepted for an active loan only."))
        return redirect(back)
    if not form.is_valid():
        messages.error(request, form.errors["amount"][0])
        return redirect(back)
    try:
        charge = start_card_payment(item, to_tiyn(form.cleaned_data["amount"]))
    except ServicingError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    return redirect(f"{card_page_url(charge)}?{urlencode({'next': back})}")


def card_page_url(charge: object) -> str:
    """The acquirer's card page of a charge; the embedded acquirer's page is served here."""
    url = charge.payment_url
    if url.startswith("/demo-acquirer/"):
        url = reverse("servicing:demo-acquirer", args=[charge.order_id])
    return url


@require_http_methods(["GET", "POST"])
@client_required
def demo_acquirer(request: HttpRequest, order_id: str) -> HttpResponse:
    """The embedded acquirer's card page (demo and tests only): the client enters a card, the
    simulator takes the payment and sends its signed webhook, which posts the payment."""
    from qaryz.servicing.adapters.acquirer_embedded import EmbeddedAcquirer
    from qaryz.servicing.payments_ports import AcquirerError, acquirer

    bank = acquirer()
    order = EmbeddedAcquirer._orders.get(order_id) if isinstance(bank, EmbeddedAcquirer) else None
    item = (
        selectors.loans_of(request.client).filter(payment_reference=order["payment_reference"]).first()
        if order
        else None
    )
    if item is None:
        return error_response(request, 404)
    back = _safe_next(request.POST.get("next", "") or request.GET.get("next", ""), item)
    error = ""
    if request.method == "POST":
        card = "".join(ch for ch in request.POST.get("card", "") if ch.isdigit())
        try:
            bank.pay(order_id, card)
        except AcquirerError:
            error = _("The card was declined. Check the number or use another card.")
        except ServicingError as exc:
            error = exc.message
        else:
            messages.success(request, _("Thank you: the payment is received and your receipt is ready."))
            return redirect(back)
    return render(
        request,
        "servicing/demo_acquirer.html",
        {"loan": item, "amount": order["amount"], "order_id": order_id, "next": back, "error": error},
    )
