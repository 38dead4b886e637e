"""Cabinet pages of the letters (R-CAB-7): list, new letter, thread with reply, attachment."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qaryz.access.decorators import client_required
from qaryz.core.middleware import error_response
from qaryz.correspondence import selectors, services
from qaryz.correspondence.forms import NewThreadForm, ReplyForm
from qaryz.correspondence.models import Attachment


def uploads(files: list[Any]) -> list[services.Upload]:
    """Uploaded files as ``Upload``s; a file over the limit is refused before it is read."""
    result = []
    for file in files:
        if file.size > services.max_attachment_bytes():
            raise services.LetterError(
                _("The file %(name)s is larger than %(limit)s MB.")
                % {"name": file.name, "limit": services.limit_megabytes()},
                "attachments",
            )
        result.append(services.Upload(file.name or "file", file.read()))
    return result


def _form_error(form: Any, exc: services.LetterError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


def attachment_response(request: HttpRequest, attachment: Attachment) -> HttpResponse:
    """The file as stored (checked against its SHA-256), always as a download."""
    from qaryz.records.models import StoredDocument
    from qaryz.records.services import DocumentIntegrityError, DocumentUnavailable, read_document

    stored = StoredDocument.objects.filter(pk=attachment.document_id).first()
    if stored is None:
        return error_response(request, 404)
    try:
        content = read_document(stored)
    except (DocumentIntegrityError, DocumentUnavailable):
        return error_response(request, 404)
    response = HttpResponse(content, content_type=attachment.media_type)
    response["Content-Disposition"] = f'attachment; filename="{_ascii_name(attachment)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _ascii_name(attachment: Attachment) -> str:
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[attachment.media_type]
    stem = "".join(
        ch for ch in attachment.filename.rsplit(".", 1)[0] if ch.isascii() and (ch.isalnum() or ch in "-_")
    )
    return f"{stem or 'attachment'}-{attachment.pk}.{extension}"


@client_required
def threads(request: HttpRequest) -> HttpResponse:
    return render(
        request, "correspondence/threads.html", {"threads": list(selectors.threads_of(request.client))}
    )


@client_required
def new_thread(request: HttpRequest) -> HttpResponse:
    form = NewThreadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            thread = services.open_thread(
                request.client,
                subject=data["subject"],
                topic=data["topic"],
                body=data["body"],
                attachments=uploads(data["attachments"]),
            )
        except services.LetterError as exc:
            _form_error(form, exc)
        else:
            messages.success(
                request,
                _("Your letter has been sent. We will answer by %(due)s.")
                % {"due": thread.reply_due.strftime("%d.%m.%Y")},
            )
            return redirect("correspondence:thread", thread.pk)
    return render(request, "correspondence/new.html", {"form": form})


def _thread_page(request: HttpRequest, thread: Any, form: ReplyForm) -> HttpResponse:
    return render(
        request,
        "correspondence/thread.html",
        {"thread": thread, "items": selectors.messages_of(thread), "form": form, "viewer": "client"},
    )


@client_required
def thread_detail(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = selectors.thread_of(request.client, thread_id)
    if thread is None:
        return error_response(request, 404)
    page = _thread_page(request, thread, ReplyForm())
    services.mark_read_by_client(request.client, thread)  # after rendering: the page marks what was new
    return page


@require_POST
@client_required
def reply(request: HttpRequest, thread_id: int) -> HttpResponse:
    thread = selectors.thread_of(request.client, thread_id)
    if thread is None:
        return error_response(request, 404)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.client_reply(
                request.client,
                thread,
                body=form.cleaned_data["body"],
                attachments=uploads(form.cleaned_data["attachments"]),
            )
        except services.LetterError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Your letter has been sent."))
            return redirect("correspondence:thread", thread.pk)
    return _thread_page(request, thread, form)


@client_required
def attachment(request: HttpRequest, thread_id: int, attachment_id: int) -> HttpResponse:
    thread = selectors.thread_of(request.client, thread_id)
    found = selectors.attachment_of(thread, attachment_id) if thread else None
    if found is None:
        return error_response(request, 404)
    return attachment_response(request, found)
