"""The MFO's reply deadline for a client's letter. Pure: no Django import.

Counted from the day the letter was received: N working days of the ``core`` calendar (weekends,
public holidays and the transfer decrees of ``core/data/kz_calendar.toml``; the count starts the
day after), or N calendar days (the start date plus N, never moved).
"""

from __future__ import annotations

import datetime as dt

from qaryz.core.workdays import WorkingCalendar, default_calendar

WORKING = "working"
CALENDAR = "calendar"
KINDS = (WORKING, CALENDAR)


def reply_due(
    received: dt.date, days: int, kind: str = WORKING, calendar: WorkingCalendar | None = None
) -> dt.date:
    """The last day on which the MFO's answer is on time."""
    if kind not in KINDS:
        raise ValueError(f"deadline kind must be one of {KINDS}, got {kind!r}")
    if days < 1:
        raise ValueError("a reply deadline is at least one day")
    if kind == CALENDAR:
        return received + dt.timedelta(days=days)
    return (calendar or default_calendar()).add_working_days(received, days)


def state(due: dt.date | None, today: dt.date) -> str:
    """``answered`` (nothing waits), ``due_today``, ``overdue`` or ``upcoming``."""
    if due is None:
        return "answered"
    if due == today:
        return "due_today"
    return "overdue" if due < today else "upcoming"
