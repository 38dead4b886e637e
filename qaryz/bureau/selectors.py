"""Reads of the bureau room for the staff page (and for other rooms)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q

from qaryz.bureau.models import FeedDay, Record, ResponsiblePerson
from qaryz.bureau.services import active_reporter, reason_in_words


@dataclass
class PersonRow:
    person: ResponsiblePerson
    active_today: bool
    sends_today: bool


def responsible_persons(today: dt.date) -> list[PersonRow]:
    sender = active_reporter(today)
    rows = []
    for person in ResponsiblePerson.objects.select_related("user").order_by("-active_from", "id"):
        active = person.active_from <= today and (person.active_to is None or person.active_to >= today)
        rows.append(
            PersonRow(person, active and person.user.is_active, sender is not None and sender.pk == person.pk)
        )
    return rows


def feed_days(limit: int = 30) -> list[FeedDay]:
    """The latest feed days with their records counted by the bureau's answer (one GROUP BY)."""
    days = list(FeedDay.objects.order_by("-date")[:limit])
    if not days:
        return days
    counts = (
        Record.objects.filter(kind=Record.Kind.DAILY, feed_date__in=[d.date for d in days])
        .values("feed_date")
        .annotate(
            accepted=Count("id", filter=Q(outcome=Record.Outcome.ACCEPTED)),
            rejected=Count("id", filter=Q(outcome=Record.Outcome.REJECTED)),
            pending=Count("id", filter=Q(outcome=Record.Outcome.PENDING)),
        )
    )
    by_day = {row["feed_date"]: row for row in counts}
    for day in days:
        row = by_day.get(day.date, {})
        day.accepted = row.get("accepted", 0)  # type: ignore[attr-defined]
        day.rejected = row.get("rejected", 0)  # type: ignore[attr-defined]
        day.pending = row.get("pending", 0)  # type: ignore[attr-defined]
    return days


def rejected_records(day: dt.date | None = None, limit: int = 200) -> list[Record]:
    """Rejected records, newest first, each with ``reason_words`` (never the bureau's code)."""
    rows = Record.objects.filter(outcome=Record.Outcome.REJECTED).select_related("batch")
    if day is not None:
        rows = rows.filter(feed_date=day)
    result = list(rows.order_by("-id")[:limit])
    for row in result:
        row.reason_words = reason_in_words(row.reject_code)  # type: ignore[attr-defined]
    return result


def one_off_records(limit: int = 50) -> list[Record]:
    """Suspension and correction records, newest first."""
    return list(
        Record.objects.exclude(kind=Record.Kind.DAILY).select_related("batch").order_by("-id")[:limit]
    )


def latest_record(loan_id: int) -> Record | None:
    """What was last reported for a loan (for the loan card or the fraud-victim case)."""
    return Record.objects.filter(loan_id=loan_id).order_by("-feed_date", "-id").first()
