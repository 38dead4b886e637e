"""Reads of the letters for the cabinet, the mobile API and the staff inbox."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Count, Prefetch, Q, QuerySet

from qaryz.correspondence import deadlines
from qaryz.correspondence.models import Attachment, Message, Side, Thread

INBOX_FILTERS = ("unanswered", "mine", "overdue", "all")


def _with_unread(qs: QuerySet[Thread], side: str) -> QuerySet[Thread]:
    """``unread``: messages of ``side`` the other side has not read yet."""
    return qs.annotate(
        unread=Count("messages", filter=Q(messages__side=side, messages__read_at__isnull=True))
    )


def threads_of(client: Any) -> QuerySet[Thread]:
    return _with_unread(Thread.objects.filter(client=client), Side.STAFF)


def thread_of(client: Any, thread_id: int) -> Thread | None:
    """The client's own thread, or None (another client's thread is "not found")."""
    return Thread.objects.filter(client=client, pk=thread_id).select_related("client").first()


def unread_for_client(client: Any) -> int:
    return Message.objects.filter(thread__client=client, side=Side.STAFF, read_at__isnull=True).count()


def messages_of(thread: Thread) -> list[Message]:
    return list(
        thread.messages.select_related("author").prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("id"))
        )
    )


def attachment_of(thread: Thread, attachment_id: int) -> Attachment | None:
    return Attachment.objects.filter(pk=attachment_id, message__thread=thread).first()


# --- staff ------------------------------------------------------------------------------------
def inbox(show: str, user: Any, today: dt.date) -> QuerySet[Thread]:
    qs = _with_unread(Thread.objects.select_related("client", "assigned_to"), Side.CLIENT)
    if show == "unanswered":
        qs = qs.filter(waiting_since__isnull=False).order_by("reply_due", "waiting_since", "id")
    elif show == "mine":
        qs = qs.filter(assigned_to=user)
    elif show == "overdue":
        qs = qs.filter(reply_due__lt=today).order_by("reply_due", "waiting_since", "id")
    return qs


@dataclass(frozen=True)
class InboxRow:
    thread: Thread
    state: str
    state_label: str


def state_label(state: str) -> str:
    from django.utils.translation import gettext as _
    from django.utils.translation import pgettext

    return {
        "answered": _("Answered"),
        "due_today": pgettext("deadline", "Due today"),
        "overdue": pgettext("deadline", "Overdue"),
        "upcoming": _("Awaiting the answer"),
    }[state]


def inbox_rows(threads: QuerySet[Thread], today: dt.date, limit: int = 200) -> list[InboxRow]:
    rows = []
    for thread in threads[:limit]:
        state = deadlines.state(thread.reply_due, today)
        rows.append(InboxRow(thread, state, state_label(state)))
    return rows


def counts(user: Any, today: dt.date) -> dict[str, int]:
    waiting = Thread.objects.filter(waiting_since__isnull=False)
    return {
        "unanswered": waiting.count(),
        "overdue": waiting.filter(reply_due__lt=today).count(),
        "due_today": waiting.filter(reply_due=today).count(),
        "mine": Thread.objects.filter(assigned_to=user, waiting_since__isnull=False).count(),
    }


def thread_for_staff(thread_id: int) -> Thread | None:
    return Thread.objects.filter(pk=thread_id).select_related("client", "assigned_to").first()


def answerers() -> QuerySet[Any]:
    """Active staff who may answer letters (through a role, their own permission, or superuser)."""
    perm = Permission.objects.filter(
        content_type__app_label="correspondence", codename="answer_thread"
    ).first()
    qs = get_user_model().objects.filter(is_active=True, is_staff=True)
    condition = Q(is_superuser=True)
    if perm is not None:
        condition |= Q(groups__permissions=perm) | Q(user_permissions=perm)
    return qs.filter(condition).distinct().order_by("username")
