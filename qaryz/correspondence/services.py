"""Letters between a client and the MFO (R-CAB-7): the only writers of threads and messages.

- ``open_thread`` / ``client_reply``: the client writes (cabinet or mobile API), optionally with
  files (PDF, JPEG, PNG by their first bytes; size and count limited by settings). The text and
  every file go to the records vault (owner: the client, reference ``correspondence.thread:<id>``,
  each with its signed receipt); the thread waits for the MFO's answer with a deadline in working
  days (``QARYZ_LETTER_REPLY_DAYS`` of ``QARYZ_LETTER_REPLY_DAY_KIND``), kept on the thread.
- ``staff_reply``: staff with ``correspondence.answer_thread`` answer; the wait ends and the client
  is notified in the cabinet and by SMS, in the client's language, once the answer is committed.
- ``assign``: a thread is given to a staff member who may answer.
- ``mark_read_by_client`` / ``mark_read_by_staff``: read status per side (each message records
  when the other side first read it).
Every write is audited (``correspondence.*``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qaryz.correspondence import deadlines
from qaryz.correspondence.models import Attachment, Message, Side, Thread, Topic
from qaryz.records.services import NewDocument, store_documents
from qaryz.records.services import record_event as audit

ANSWER_PERMISSION = "correspondence.answer_thread"
MAX_SUBJECT = 200
MAX_BODY = 5000
MEDIA_TYPES = ("application/pdf", "image/jpeg", "image/png")


class LetterError(Exception):
    """A letter refused; ``message`` is translated and shown to the writer, ``field`` names the input."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes


@dataclass(frozen=True)
class _Checked:
    filename: str
    content: bytes
    media_type: str


# --- rules ------------------------------------------------------------------------------------
def reply_rule() -> tuple[int, str]:
    kind = settings.LETTER_REPLY_DAY_KIND
    if kind not in deadlines.KINDS:
        raise ValueError("QARYZ_LETTER_REPLY_DAY_KIND must be 'working' or 'calendar'")
    return int(settings.LETTER_REPLY_DAYS), kind


def max_attachment_bytes() -> int:
    return int(settings.LETTER_ATTACHMENT_MAX_BYTES)


def max_attachments() -> int:
    return int(settings.LETTER_MAX_ATTACHMENTS)


def sniff_media_type(content: bytes) -> str:
    """The media type from the file's first bytes: what the browser or app claims is not trusted."""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return "application/octet-stream"


def limit_megabytes() -> str:
    return f"{max_attachment_bytes() / (1024 * 1024):g}"


def check_uploads(uploads: Sequence[Upload]) -> list[_Checked]:
    """Refuse an empty, too large or wrongly typed file, or too many files, with a clear message."""
    if len(uploads) > max_attachments():
        raise LetterError(
            _("At most %(count)s files can be attached to one letter.") % {"count": max_attachments()},
            "attachments",
        )
    checked = []
    for upload in uploads:
        name = _clean_filename(upload.filename)
        if not upload.content:
            raise LetterError(_("The file %(name)s is empty.") % {"name": name}, "attachments")
        if len(upload.content) > max_attachment_bytes():
            raise LetterError(
                _("The file %(name)s is larger than %(limit)s MB.")
                % {"name": name, "limit": limit_megabytes()},
                "attachments",
            )
        media_type = sniff_media_type(upload.content)
        if media_type not in MEDIA_TYPES:
            raise LetterError(
                _("The file %(name)s is not a PDF, JPEG or PNG file.") % {"name": name}, "attachments"
            )
        checked.append(_Checked(name, bytes(upload.content), media_type))
    return checked


def _clean_filename(name: str) -> str:
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:120] or "file"


def _clean_text(value: str, limit: int, field: str, *, required: bool = True) -> str:
    text = (value or "").replace("\r\n", "\n").strip()
    if required and not text:
        raise LetterError(_("This field is required."), field)
    if len(text) > limit:
        raise LetterError(
            _("At most %(limit)s characters, please (this text has %(length)s).")
            % {"limit": limit, "length": len(text)},
            field,
        )
    return text


def _staff(actor: Any) -> Any:
    return actor if getattr(getattr(actor, "_meta", None), "label_lower", "") == "auth.user" else None


def may_answer(user: Any) -> bool:
    return bool(user is not None and user.is_active and user.is_staff and user.has_perm(ANSWER_PERMISSION))


# --- writing ----------------------------------------------------------------------------------
def _vault_text(
    thread: Thread, side: str, author: Any, body: str, when: dt.datetime, files: list[_Checked]
) -> bytes:
    """The message as archived: headers then the text exactly as written (UTF-8)."""
    client = thread.client
    sender = (
        f"{client.display_name} ({client.id_number})" if side == Side.CLIENT else f"MFO ({author or 'staff'})"
    )
    lines = [
        f"Thread: {thread.pk}",
        f"Subject: {thread.subject}",
        f"Topic: {thread.topic}",
        f"From: {sender}",
        f"Date: {timezone.localtime(when).isoformat()}",
    ]
    lines += [f"Attachment: {f.filename} ({f.media_type}, {len(f.content)} bytes)" for f in files]
    return ("\n".join(lines) + "\n\n" + body + "\n").encode("utf-8")


def _add_message(
    thread: Thread,
    *,
    side: str,
    author: Any,
    body: str,
    files: list[_Checked],
    channel: str,
    when: dt.datetime,
) -> Message:
    text_id = uuid.uuid4()
    direction = "inbound" if side == Side.CLIENT else "outbound"
    items = [
        NewDocument(
            _vault_text(thread, side, author, body, when, files),
            "text/plain; charset=utf-8",
            "correspondence.message",
            direction,
            thread.client,
            f"letter-{thread.pk}-{when:%Y%m%d%H%M%S}.txt",
            channel,
            thread.reference,
            id=text_id,
        )
    ]
    file_ids = [uuid.uuid4() for _f in files]
    items += [
        NewDocument(
            f.content,
            f.media_type,
            "correspondence.attachment",
            direction,
            thread.client,
            f.filename,
            channel,
            thread.reference,
            id=file_id,
        )
        for f, file_id in zip(files, file_ids, strict=True)
    ]
    message = Message.objects.create(
        thread=thread,
        side=side,
        author=author,
        body=body,
        channel=channel,
        document_id=text_id,
        created_at=when,
    )
    Attachment.objects.bulk_create(
        [
            Attachment(
                message=message,
                document_id=file_id,
                filename=f.filename,
                media_type=f.media_type,
                size=len(f.content),
            )
            for f, file_id in zip(files, file_ids, strict=True)
        ]
    )
    # The vault appends audit events (the chain head stays locked until commit): last.
    store_documents(items)
    return message


def _start_wait(thread: Thread, when: dt.datetime) -> None:
    """A client's letter waits for an answer; an earlier unanswered one keeps its (earlier) deadline."""
    if thread.waiting_since is not None:
        return
    days, kind = reply_rule()
    thread.waiting_since = when
    thread.reply_due = deadlines.reply_due(timezone.localtime(when).date(), days, kind)
    thread.reply_rule = f"{days} {kind}"


def open_thread(
    client: Any,
    *,
    subject: str,
    topic: str,
    body: str,
    attachments: Sequence[Upload] = (),
    channel: str = "web",
) -> Thread:
    """A new letter from the client to the MFO."""
    subject = _clean_text(subject, MAX_SUBJECT, "subject")
    if topic not in Topic.values:
        raise LetterError(_("Choose a topic from the list."), "topic")
    body = _clean_text(body, MAX_BODY, "body")
    files = check_uploads(attachments)
    now = timezone.now()
    with transaction.atomic():
        thread = Thread(client=client, subject=subject, topic=topic, last_message_at=now)
        _start_wait(thread, now)
        thread.save()
        message = _add_message(
            thread, side=Side.CLIENT, author=None, body=body, files=files, channel=channel, when=now
        )
        audit(
            "correspondence.thread_opened",
            actor=client,
            target=thread,
            data={
                "topic": topic,
                "message": message.pk,
                "attachments": len(files),
                "reply_due": str(thread.reply_due),
            },
        )
    return thread


def _lock(thread: Thread) -> Thread:
    return Thread.objects.select_for_update().select_related("client").get(pk=thread.pk)


def client_reply(
    client: Any, thread: Thread, *, body: str, attachments: Sequence[Upload] = (), channel: str = "web"
) -> Message:
    """The client writes again in their thread (text, files or both)."""
    if thread.client_id != client.pk:
        raise LetterError(_("This letter is not yours."))
    body = _clean_text(body, MAX_BODY, "body", required=not attachments)
    files = check_uploads(attachments)
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(thread)
        _start_wait(locked, now)
        locked.last_message_at = now
        locked.save(update_fields=["waiting_since", "reply_due", "reply_rule", "last_message_at"])
        message = _add_message(
            locked, side=Side.CLIENT, author=None, body=body, files=files, channel=channel, when=now
        )
        audit(
            "correspondence.client_wrote",
            actor=client,
            target=locked,
            data={"message": message.pk, "attachments": len(files)},
        )
    thread.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    return message


def staff_reply(thread: Thread, *, staff: Any, body: str, attachments: Sequence[Upload] = ()) -> Message:
    """The MFO's answer: ends the wait, assigns an unassigned thread to the writer, notifies the client."""
    if not may_answer(staff):
        raise LetterError(_("You may not answer clients' letters."))
    body = _clean_text(body, MAX_BODY, "body")
    files = check_uploads(attachments)
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(thread)
        was_due, on_time = (
            locked.reply_due,
            locked.reply_due is None or timezone.localdate() <= locked.reply_due,
        )
        locked.waiting_since = None
        locked.reply_due = None
        locked.reply_rule = ""
        locked.last_message_at = now
        if locked.assigned_to_id is None:
            locked.assigned_to = staff
        locked.save(
            update_fields=["waiting_since", "reply_due", "reply_rule", "last_message_at", "assigned_to"]
        )
        Message.objects.filter(thread=locked, side=Side.CLIENT, read_at__isnull=True).update(read_at=now)
        message = _add_message(
            locked, side=Side.STAFF, author=staff, body=body, files=files, channel="backoffice", when=now
        )
        audit(
            "correspondence.staff_replied",
            actor=staff,
            target=locked,
            data={
                "message": message.pk,
                "attachments": len(files),
                "was_due": str(was_due) if was_due else "",
                "on_time": on_time,
            },
        )
        client, subject = locked.client, locked.subject
        transaction.on_commit(lambda: _notify_reply(client, subject))
    thread.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    return message


def _reply_subject() -> str:
    return _("The MFO answered your letter")


def _reply_body(subject: str) -> str:
    return _("The answer to your letter «%(subject)s» is in your cabinet, section Messages.") % {
        "subject": subject[:80]
    }


def _notify_reply(client: Any, subject: str) -> None:
    from qaryz.messaging.services import in_language, notify_client

    notify_client(client, in_language(client, _reply_subject), in_language(client, _reply_body, subject))


def assign(thread: Thread, assignee: Any, *, actor: Any) -> Thread:
    """Give the thread to ``assignee`` (a staff member who may answer), or to nobody (None)."""
    if not may_answer(actor):
        raise LetterError(_("You may not assign clients' letters."))
    if assignee is not None and not may_answer(assignee):
        raise LetterError(_("This staff member may not answer clients' letters."), "assignee")
    with transaction.atomic():
        locked = _lock(thread)
        before = locked.assigned_to_id
        if before == (assignee.pk if assignee else None):
            return locked
        locked.assigned_to = assignee
        locked.save(update_fields=["assigned_to"])
        audit(
            "correspondence.assigned",
            actor=actor,
            target=locked,
            data={"from": before, "to": assignee.pk if assignee else None},
        )
    thread.assigned_to = assignee
    return locked


def _mark_read(thread: Thread, other_side: str) -> int:
    return Message.objects.filter(thread=thread, side=other_side, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def mark_read_by_client(client: Any, thread: Thread) -> int:
    """The client read the MFO's messages in the thread; returns how many were new to them."""
    if thread.client_id != client.pk:
        raise LetterError(_("This letter is not yours."))
    with transaction.atomic():
        count = _mark_read(thread, Side.STAFF)
        if count:
            audit("correspondence.read_by_client", actor=client, target=thread, data={"messages": count})
    return count


def mark_read_by_staff(thread: Thread, staff: Any) -> int:
    """Staff who may answer read the client's messages (a reader without that right marks nothing)."""
    if not may_answer(staff):
        return 0
    return _mark_read(thread, Side.CLIENT)
