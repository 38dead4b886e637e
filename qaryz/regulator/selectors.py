"""Reads of the channel register (R-REG-1..2): pages, and other rooms asking whether a channel is
open and which services it may offer (the notified list in effect, not the draft)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from qaryz.regulator import services
from qaryz.regulator.models import Channel, Notice


def latest_notice(channel: Channel) -> Notice | None:
    return channel.notices.order_by("-created_at", "-id").first()


def channel_rows(today: dt.date | None = None) -> list[dict[str, Any]]:
    today = today or timezone.localdate()
    rows = []
    for channel in Channel.objects.prefetch_related("services"):
        notice = latest_notice(channel)
        pending = notice is not None and notice.in_effect_at is None
        rows.append(
            {
                "channel": channel,
                "notice": notice,
                "pending": pending,
                "overdue": pending and notice.sent_on is None and notice.send_by < today,
                "blocked": services.blocking_reason(channel, notice, today) if pending else None,
                "changed": notice is not None
                and notice.fingerprint != services.fingerprint(services.configuration(channel)),
            }
        )
    return rows


def services_in_effect(channel: Channel) -> list[str]:
    """The services the channel may offer: those of its notice in effect; none when closed."""
    if not channel.enabled or channel.live_notice is None:
        return []
    return list(channel.live_notice.services)


def channel_open(kind: str, name: str) -> bool:
    channel = Channel.objects.filter(kind=kind, name=name).first()
    return bool(channel and channel.enabled)
