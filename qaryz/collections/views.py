"""Cabinet page: the borrower's request for changed terms after a delay notice (thin: the window
from the selector, the request through the service)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from qaryz.access.decorators import client_required
from qaryz.collections import selectors, services
from qaryz.collections.forms import ChangedTermsForm
from qaryz.core.middleware import error_response
from qaryz.servicing import selectors as servicing_selectors


@client_required
@require_http_methods(["GET", "POST"])
def changed_terms(request: HttpRequest, loan_id: int) -> HttpResponse:
    loan = servicing_selectors.loan_of(request.client, loan_id)
    if loan is None:
        return error_response(request, 404)
    window = selectors.changed_terms_window(loan)
    form = ChangedTermsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_changed_terms(
                loan,
                wish=form.cleaned_data["wish"],
                explanation=form.cleaned_data["explanation"],
                channel="web",
                actor=request.client,
            )
        except services.CollectionsError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Your request is received. We will answer in writing."))
            return redirect("servicing:loan", loan.pk)
    return render(
        request,
        "collections/changed_terms.html",
        {"loan": loan, "window": window, "form": form, "today": timezone.localdate()},
    )
