"""Reads of the data-leak marks: other rooms ask ``needs_repeat_biometrics`` before a sensitive
action and ``is_leaked`` for their rules (antifraud's data-leak flag)."""

from __future__ import annotations

import datetime as dt

from django.db import connection

from qaryz.leaks.models import CallTask, LeakMark


def open_mark(client) -> LeakMark | None:
    if client is None or getattr(client, "pk", None) is None:
        return None
    return LeakMark.objects.filter(client_id=client.pk, closed_at__isnull=True).first()


def is_leaked(client) -> bool:
    """Whether the client has an open leak mark – asked on every antifraud evaluation, so one bare
    query (the ORM's query building costs more than running it)."""
    if client is None or getattr(client, "pk", None) is None:
        return False
    sql = f"SELECT 1 FROM {LeakMark._meta.db_table} WHERE client_id = %s AND closed_at IS NULL LIMIT 1"  # noqa: S608 – the model's own table
    with connection.cursor() as cursor:
        cursor.execute(sql, [client.pk])
        return cursor.fetchone() is not None


def leak_marked_at(client) -> dt.datetime | None:
    mark = open_mark(client)
    return mark.marked_at if mark else None


def needs_repeat_biometrics(client) -> bool:
    """True while an open leak mark waits for the client's repeat biometric identification."""
    mark = open_mark(client)
    return mark is not None and mark.biometrics_repeated_at is None


def marks(show: str = "open") -> list[LeakMark]:
    rows = LeakMark.objects.select_related("client", "call")
    if show == "open":
        rows = rows.filter(closed_at__isnull=True)
    return list(rows)


def calls_to_make() -> list[CallTask]:
    return list(
        CallTask.objects.filter(leak__closed_at__isnull=True)
        .exclude(status=CallTask.Status.DONE)
        .select_related("leak__client")
    )


def mark_for_staff(mark_id: int) -> LeakMark | None:
    return LeakMark.objects.filter(pk=mark_id).select_related("client", "call").first()
