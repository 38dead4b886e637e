"""Mobile API of the letters (R-CAB-7, R-MOB-1), mounted under /api/v1/correspondence/ by qaryz.api.api.

GET  topics                                      the topics a letter may have (labels in the request's language)
GET  threads                                     the client's threads, newest first
POST threads                                     {"subject", "topic", "body"} -> the new thread
GET  threads/{id}                                the thread with its messages and attachment metadata
POST threads/{id}/messages                       {"body"} -> the client's reply
POST threads/{id}/attachments                    multipart: files=<pdf|jpeg|png>... [, body] -> a reply with files
GET  threads/{id}/attachments/{attachment_id}    the file as stored
POST threads/{id}/read                           the MFO's messages read -> {"marked"}
Another client's thread is "not found" (404), like one that does not exist. A refused letter
(empty text, a file too large or of another type) is 422 with the reason in ``detail``.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field

from qaryz.access.api_auth import ClientBearer
from qaryz.core.api_errors import not_found
from qaryz.correspondence import selectors, services, views
from qaryz.correspondence.models import Message, Thread, Topic

router = Router(tags=["correspondence"], auth=ClientBearer())


class TopicOut(Schema):
    code: str
    label: str


class ThreadIn(Schema):
    subject: str = Field(..., max_length=services.MAX_SUBJECT)
    topic: str = Field(..., description="one of GET topics' codes")
    body: str = Field(..., max_length=services.MAX_BODY)


class ReplyIn(Schema):
    body: str = Field(..., max_length=services.MAX_BODY)


class AttachmentOut(Schema):
    id: int
    filename: str
    media_type: str
    size: int
    url: str


class MessageOut(Schema):
    id: int
    side: str = Field(..., description="client or staff (the MFO)")
    body: str
    created_at: dt.datetime
    read_at: dt.datetime | None = Field(None, description="when the other side first read it")
    attachments: list[AttachmentOut]


class ThreadOut(Schema):
    id: int
    subject: str
    topic: str
    topic_label: str
    created_at: dt.datetime
    last_message_at: dt.datetime
    awaiting_answer: bool
    answer_due: dt.date | None = Field(None, description="the MFO answers by this day")
    unread: int = Field(0, description="the MFO's messages not read yet")


class ThreadDetailOut(ThreadOut):
    messages: list[MessageOut]


class ReadOut(Schema):
    marked: int


def _owned(request: HttpRequest, thread_id: int) -> Thread:
    thread = selectors.thread_of(request.auth, thread_id)
    if thread is None:
        raise not_found()
    return thread


def _refused(exc: services.LetterError) -> HttpError:
    return HttpError(422, f"{exc.field}: {exc.message}" if exc.field else exc.message)


def _thread(thread: Thread, unread: int | None = None) -> dict:
    return {
        "id": thread.pk,
        "subject": thread.subject,
        "topic": thread.topic,
        "topic_label": str(thread.get_topic_display()),
        "created_at": thread.created_at,
        "last_message_at": thread.last_message_at,
        "awaiting_answer": thread.waiting_since is not None,
        "answer_due": thread.reply_due,
        "unread": unread if unread is not None else getattr(thread, "unread", 0),
    }


def _message(thread: Thread, message: Message) -> dict:
    base = f"/api/v1/correspondence/threads/{thread.pk}/attachments/"
    return {
        "id": message.pk,
        "side": message.side,
        "body": message.body,
        "created_at": message.created_at,
        "read_at": message.read_at,
        "attachments": [
            {
                "id": a.pk,
                "filename": a.filename,
                "media_type": a.media_type,
                "size": a.size,
                "url": f"{base}{a.pk}",
            }
            for a in message.attachments.all()
        ],
    }


def _detail(thread: Thread) -> dict:
    items = selectors.messages_of(thread)
    unread = sum(1 for m in items if m.side == "staff" and m.read_at is None)
    return {**_thread(thread, unread), "messages": [_message(thread, m) for m in items]}


@router.get("/topics", response=list[TopicOut], summary="Topics of a letter")
def topics(request: HttpRequest) -> list[dict]:
    return [{"code": code, "label": str(label)} for code, label in Topic.choices]


@router.get("/threads", response=list[ThreadOut], summary="The client's letters")
def list_threads(request: HttpRequest) -> list[dict]:
    return [_thread(t) for t in selectors.threads_of(request.auth)[:200]]


@router.post("/threads", response={201: ThreadDetailOut}, summary="Write a letter to the MFO")
def create_thread(request: HttpRequest, payload: ThreadIn) -> Status:
    try:
        thread = services.open_thread(
            request.auth, subject=payload.subject, topic=payload.topic, body=payload.body, channel="api"
        )
    except services.LetterError as exc:
        raise _refused(exc) from exc
    return Status(201, _detail(thread))


@router.get("/threads/{thread_id}", response=ThreadDetailOut, summary="A letter thread")
def get_thread(request: HttpRequest, thread_id: int) -> dict:
    return _detail(_owned(request, thread_id))


@router.post("/threads/{thread_id}/messages", response={201: MessageOut}, summary="Write again in a thread")
def reply(request: HttpRequest, thread_id: int, payload: ReplyIn) -> Status:
    thread = _owned(request, thread_id)
    try:
        message = services.client_reply(request.auth, thread, body=payload.body, channel="api")
    except services.LetterError as exc:
        raise _refused(exc) from exc
    return Status(201, _message(thread, message))


@router.post(
    "/threads/{thread_id}/attachments",
    response={201: MessageOut},
    summary="Send files in a thread (multipart: files, optional body)",
)
def upload(request: HttpRequest, thread_id: int) -> Status:
    thread = _owned(request, thread_id)
    files = request.FILES.getlist("files")
    if not files:
        raise HttpError(422, "files: " + _("Attach at least one file."))
    try:
        message = services.client_reply(
            request.auth,
            thread,
            body=request.POST.get("body", ""),
            attachments=views.uploads(files),
            channel="api",
        )
    except services.LetterError as exc:
        raise _refused(exc) from exc
    return Status(201, _message(thread, message))


@router.get("/threads/{thread_id}/attachments/{attachment_id}", summary="Download an attachment")
def download(request: HttpRequest, thread_id: int, attachment_id: int) -> HttpResponse:
    thread = _owned(request, thread_id)
    found = selectors.attachment_of(thread, attachment_id)
    if found is None:
        raise not_found()
    response = views.attachment_response(request, found)
    if response.status_code != 200:
        raise not_found()
    return response


@router.post("/threads/{thread_id}/read", response=ReadOut, summary="Mark the MFO's messages read")
def mark_read(request: HttpRequest, thread_id: int) -> dict:
    thread = _owned(request, thread_id)
    return {"marked": services.mark_read_by_client(request.auth, thread)}
