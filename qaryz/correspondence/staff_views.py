"""Back-office inbox of the clients' letters (R-CAB-7). ``correspondence.view_thread`` to read
(support, compliance), ``correspondence.answer_thread`` to answer and assign (support). Every
page view of a client's letters is a security event."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qaryz.access.decorators import staff_required
from qaryz.core.middleware import error_response
from qaryz.correspondence import deadlines, selectors, services
from qaryz.correspondence.forms import AssignForm, StaffReplyForm
from qaryz.correspondence.views import attachment_response, uploads
from qaryz.records.services import record_event as audit

VIEW = "correspondence.view_thread"
ANSWER = services.ANSWER_PERMISSION


@staff_required(VIEW)
def inbox(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    show = request.GET.get("show", "unanswered")
    show = show if show in selectors.INBOX_FILTERS else "unanswered"
    rows = selectors.inbox_rows(selectors.inbox(show, request.user, today), today)
    audit(
        "staff.viewed_letters",
        category="security",
        actor=request.user,
        request=request,
        data={"show": show, "count": len(rows)},
    )
    return render(
        request,
        "correspondence/inbox.html",
        {"rows": rows, "show": show, "counts": selectors.counts(request.user, today)},
    )


def _page(
    request: HttpRequest, thread: Any, *, reply_form: Any = None, assign_form: Any = None
) -> HttpResponse:
    today = timezone.localdate()
    state = deadlines.state(thread.reply_due, today)
    return render(
        request,
        "correspondence/staff_thread.html",
        {
            "thread": thread,
            "items": selectors.messages_of(thread),
            "state": state,
            "state_label": selectors.state_label(state),
            "can_answer": services.may_answer(request.user),
            "form": reply_form or StaffReplyForm(),
            "assign_form": assign_form or AssignForm(initial={"assignee": thread.assigned_to_id}),
            "viewer": "staff",
        },
    )


@staff_required(VIEW)
def thread_detail(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = selectors.thread_for_staff(thread_id)
    if thread is None:
        return error_response(request, 404)
    audit(
        "staff.viewed_letter_thread", category="security", actor=request.user, target=thread, request=request
    )
    page = _page(request, thread)
    services.mark_read_by_staff(thread, request.user)
    return page


@require_POST
@staff_required(ANSWER)
def reply(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = selectors.thread_for_staff(thread_id)
    if thread is None:
        return error_response(request, 404)
    form = StaffReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.staff_reply(
                thread,
                staff=request.user,
                body=form.cleaned_data["body"],
                attachments=uploads(form.cleaned_data["attachments"]),
            )
        except services.LetterError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The answer has been sent; the client is notified."))
            return redirect("correspondence_staff:thread", thread.pk)
    return _page(request, thread, reply_form=form)


@require_POST
@staff_required(ANSWER)
def assign(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = selectors.thread_for_staff(thread_id)
    if thread is None:
        return error_response(request, 404)
    form = AssignForm(request.POST)
    if form.is_valid():
        try:
            services.assign(thread, form.cleaned_data["assignee"], actor=request.user)
        except services.LetterError as exc:
            form.add_error("assignee", exc.message)
        else:
            messages.success(request, _("The responsible staff member is saved."))
            return redirect("correspondence_staff:thread", thread.pk)
    return _page(request, thread, assign_form=form)


@staff_required(VIEW)
def attachment(request: HttpRequest, thread_id: int, attachment_id: int) -> HttpResponse:
    thread = selectors.thread_for_staff(thread_id)
    found = selectors.attachment_of(thread, attachment_id) if thread else None
    if found is None:
        return error_response(request, 404)
    audit(
        "staff.opened_letter_attachment",
        category="security",
        actor=request.user,
        target=thread,
        request=request,
        data={"attachment": found.pk},
    )
    return attachment_response(request, found)
