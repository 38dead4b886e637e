from __future__ import annotations

from django.db.models import QuerySet

from qaryz.messaging.models import EmbeddedSms, MailDelivery, Notification


def notifications_for(client, limit: int = 20) -> QuerySet[Notification]:
    return Notification.objects.filter(client=client)[:limit]


def unread_count(client) -> int:
    return Notification.objects.filter(client=client, read_at__isnull=True).count()


def embedded_outbox(limit: int = 100) -> QuerySet[EmbeddedSms]:
    return EmbeddedSms.objects.order_by("-created_at", "-id")[:limit]


def last_embedded_sms(phone: str) -> EmbeddedSms | None:
    return EmbeddedSms.objects.filter(phone=phone).order_by("-created_at", "-id").first()


def attempts_by_reference(references: list[str]) -> dict[str, list[MailDelivery]]:
    """Every e-mail attempt for each reference (e.g. "incidents.notice:5"), oldest first."""
    found: dict[str, list[MailDelivery]] = {ref: [] for ref in references}
    for delivery in MailDelivery.objects.filter(reference__in=references).order_by("created_at", "id"):
        found[delivery.reference].append(delivery)
    return found


def mail_outbox(limit: int = 200) -> QuerySet[MailDelivery]:
    return MailDelivery.objects.order_by("-created_at", "-id")[:limit]
