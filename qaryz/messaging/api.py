"""Mobile API of the messaging room, mounted under /api/v1/messages/ by qaryz.api.api: the client's
in-cabinet notifications (R-AUTH-6), rendered in the client's language when they were sent.

GET  notifications                 newest first (``unread_only`` to filter), with the unread count
POST notifications/{id}/read       marks one read (idempotent); another client's is "not found"
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from qaryz.access.api_auth import ClientBearer
from qaryz.core.api_errors import not_found
from qaryz.messaging import selectors, services
from qaryz.messaging.models import Notification

router = Router(tags=["messaging"])


class NotificationOut(Schema):
    id: int
    subject: str
    body: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationsOut(Schema):
    unread: int
    items: list[NotificationOut]


def _out(n: Notification) -> dict:
    return {
        "id": n.pk,
        "subject": n.subject,
        "body": n.body,
        "created_at": n.created_at,
        "read_at": n.read_at,
    }


@router.get(
    "/notifications", response=NotificationsOut, auth=ClientBearer(), summary="The client's notifications"
)
def list_notifications(request: HttpRequest, unread_only: bool = False, limit: int = 50) -> dict:
    limit = max(1, min(limit, 200))
    qs = Notification.objects.filter(client=request.auth)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return {"unread": selectors.unread_count(request.auth), "items": [_out(n) for n in qs[:limit]]}


@router.post(
    "/notifications/{notification_id}/read",
    response=NotificationOut,
    auth=ClientBearer(),
    summary="Mark a notification read",
)
def read_notification(request: HttpRequest, notification_id: int) -> dict:
    if not Notification.objects.filter(client=request.auth, pk=notification_id).exists():
        raise not_found()
    services.mark_read(request.auth, notification_id)
    return _out(Notification.objects.get(pk=notification_id))
