"""Deadlines of a fraud-victim case. Pure: no Django import.

Working days come from the ``core`` calendar (holidays, transferred days off and working weekend
days of ``core/data/kz_calendar.toml``); the count starts the day after the start date, so a
3-working-day deadline from Friday ends on Wednesday. The calendar-day variant (the MFO procedure
of seed 000 §36: "not later than three calendar days") is the start date plus N days, never moved.
"""

from __future__ import annotations

import datetime as dt

from qaryz.core.workdays import WorkingCalendar, default_calendar

WORKING = "working"
CALENDAR = "calendar"
KINDS = (WORKING, CALENDAR)


def deadline(
    start: dt.date, days: int, kind: str = WORKING, calendar: WorkingCalendar | None = None
) -> dt.date:
    """The last day of an N-day deadline counted from ``start`` (the day the document was received)."""
    if kind not in KINDS:
        raise ValueError(f"deadline kind must be one of {KINDS}, got {kind!r}")
    if days < 1:
        raise ValueError("a deadline is at least one day")
    if kind == CALENDAR:
        return start + dt.timedelta(days=days)
    return (calendar or default_calendar()).add_working_days(start, days)


def state(due: dt.date | None, done_on: dt.date | None, today: dt.date) -> str:
    """``done``, ``due_today``, ``overdue``, ``upcoming`` (or ``none`` without a deadline)."""
    if done_on is not None:
        return "done"
    if due is None:
        return "none"
    if due == today:
        return "due_today"
    return "overdue" if due < today else "upcoming"
