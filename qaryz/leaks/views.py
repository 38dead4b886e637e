"""Back-office pages of the data-leak measures (R-LEAK-1). Permissions: ``leaks.view_leakmark`` to
read, ``leaks.mark_leak`` to mark, re-check the phone and close, ``leaks.call_client`` to record the
verification call."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qaryz.access.decorators import staff_required
from qaryz.core.middleware import error_response
from qaryz.leaks import forms, selectors, services
from qaryz.records.services import record_event as audit

VIEW = "leaks.view_leakmark"
MARK = "leaks.mark_leak"
CALL = "leaks.call_client"


@staff_required(VIEW)
def mark_list(request: HttpRequest) -> HttpResponse:
    show = "all" if request.GET.get("show") == "all" else "open"
    return render(
        request,
        "leaks/marks.html",
        {"marks": selectors.marks(show), "calls": selectors.calls_to_make(), "show": show},
    )


@staff_required(MARK)
def mark(request: HttpRequest) -> HttpResponse:
    from qaryz.clients.models import Client

    form = forms.MarkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        client = Client.objects.filter(iin=form.cleaned_data["iin"]).first()
        if client is None:
            form.add_error("iin", _("No client with this IIN."))
        else:
            try:
                leak = services.mark_leaked(
                    client,
                    reason=form.cleaned_data["reason"],
                    source=form.cleaned_data["source"],
                    actor=request.user,
                )
            except services.LeakError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(
                    request,
                    _(
                        "Marked. The next signing or payout asks for a new face check; the phone was checked and a call task created."
                    ),
                )
                return redirect("leaks:detail", leak.pk)
    return render(request, "leaks/mark.html", {"form": form})


def masked_phone(phone: str) -> str:
    return f"{phone[:2]} ••• •••{phone[-4:-2]} {phone[-2:]}" if len(phone) >= 6 else "•••"


def _detail(request: HttpRequest, leak, status: int = 200, call_form=None, phone: str = "") -> HttpResponse:
    return render(
        request,
        "leaks/detail.html",
        {
            "leak": leak,
            "call": leak.call,
            "phone": phone or masked_phone(leak.client.phone),
            "revealed": bool(phone),
            "call_form": call_form or forms.CallForm(),
            "can_mark": request.user.has_perm(MARK) and leak.closed_at is None,
            "can_call": request.user.has_perm(CALL) and leak.closed_at is None,
        },
        status=status,
    )


@staff_required(VIEW)
def mark_detail(request: HttpRequest, mark_id: int) -> HttpResponse:
    leak = selectors.mark_for_staff(mark_id)
    if leak is None:
        return error_response(request, 404)
    audit(
        "staff.viewed_leak_mark", category="security", actor=request.user, target=leak.client, request=request
    )
    return _detail(request, leak)


@require_POST
@staff_required(CALL)
def reveal_phone(request: HttpRequest, mark_id: int) -> HttpResponse:
    """The caller's number to dial: shown on purpose with a reason, each reveal audited."""
    leak = selectors.mark_for_staff(mark_id)
    if leak is None:
        return error_response(request, 404)
    reason = (request.POST.get("reason") or "").strip()
    if not reason:
        messages.error(request, _("Give the reason to show the number."))
        return redirect("leaks:detail", leak.pk)
    audit(
        "staff.revealed_phone",
        category="security",
        actor=request.user,
        target=leak.client,
        request=request,
        data={"field": "phone", "reason": reason[:200], "mark": leak.pk},
    )
    return _detail(request, leak, phone=leak.client.phone)


@require_POST
@staff_required(MARK)
def recheck_phone(request: HttpRequest, mark_id: int) -> HttpResponse:
    leak = selectors.mark_for_staff(mark_id)
    if leak is None:
        return error_response(request, 404)
    leak = services.check_phone(leak, actor=request.user)
    messages.info(request, _("Phone check: %(result)s.") % {"result": leak.get_phone_check_display()})
    return redirect("leaks:detail", leak.pk)


@require_POST
@staff_required(CALL)
def record_call(request: HttpRequest, mark_id: int) -> HttpResponse:
    leak = selectors.mark_for_staff(mark_id)
    if leak is None:
        return error_response(request, 404)
    form = forms.CallForm(request.POST)
    if form.is_valid():
        try:
            services.record_call(
                leak.call,
                status=form.cleaned_data["status"],
                outcome=form.cleaned_data["outcome"],
                refusal_recommended=form.cleaned_data["refusal_recommended"],
                actor=request.user,
            )
        except services.LeakError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The call is recorded."))
            return redirect("leaks:detail", leak.pk)
    return _detail(request, leak, status=400, call_form=form)


@require_POST
@staff_required(MARK)
def close(request: HttpRequest, mark_id: int) -> HttpResponse:
    leak = selectors.mark_for_staff(mark_id)
    if leak is None:
        return error_response(request, 404)
    try:
        services.close_mark(leak, actor=request.user)
    except services.LeakError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The measures are complete; the mark is closed."))
    return redirect("leaks:detail", leak.pk)
