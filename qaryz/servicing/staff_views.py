"""The back-office loan card: terms, balances, schedule, payments and every ledger transfer of a
loan (permission ``servicing.view_loan``), and a search by contract number, payment reference or
IIN/BIN. Routed by ``qaryz.backoffice.urls`` (the back office's login, menu and permission matrix)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from qaryz.access.decorators import staff_required
from qaryz.core.middleware import error_response
from qaryz.records.services import record_event as audit
from qaryz.servicing import selectors


@staff_required("servicing.view_loan")
def loan_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:50]
    rows = list(selectors.loans_search(query)[:100])
    for row in rows:
        row.debt_total = selectors.total_debt(row)  # type: ignore[attr-defined]
    audit(
        "staff.viewed_loan_list",
        category="security",
        actor=request.user,
        request=request,
        data={"query": query, "count": len(rows)},
    )
    return render(request, "servicing/staff_loans.html", {"loans": rows, "query": query})


def _cursor(request: HttpRequest) -> int | None:
    try:
        return int(request.GET["before"])
    except (KeyError, ValueError):
        return None


@staff_required("servicing.view_loan")
def loan_card(request: HttpRequest, loan_id: int) -> HttpResponse:
    loan = selectors.loan_for_staff(loan_id)
    if loan is None:
        return error_response(request, 404)
    audit("staff.viewed_loan", category="security", actor=request.user, target=loan, request=request)
    today = timezone.localdate()
    instalments = selectors.schedule_instalments(loan)
    rows = selectors.schedule_rows(instalments, today)
    payments, more_payments = selectors.payments_page(loan, limit=50)
    transfers, next_before = selectors.transfers_page(loan, before=_cursor(request), limit=100)
    return render(
        request,
        "servicing/staff_loan.html",
        {
            "loan": loan,
            "debt": selectors.debt(loan, instalments, today),
            "rows": rows,
            "payments": selectors.payment_rows(payments),
            "more_payments": more_payments,
            "transfers": transfers,
            "next_before": next_before,
            "disbursement": selectors.disbursement_status(loan),
            "can_view_client": request.user.has_perm("clients.view_client_data"),
        },
    )
