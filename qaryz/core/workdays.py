"""Kazakhstan working-day calendar: every "within N working days" deadline uses it.

A day is a working day unless it is a Saturday or Sunday, a public holiday of Kazakhstan (the
``holidays`` package, country KZ, with the Labour Code's weekend-to-next-working-day rule), or a
day off created by a Government transfer decree. A weekend day that a transfer decree makes a
working day is a working day. The transfer decrees are kept in ``data/kz_calendar.toml`` with the
source and status of each entry (the package knows the days off, not the working weekend days).

Named ``workdays`` so that it cannot shadow the standard library's ``calendar``. Pure module: no
Django import.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import holidays

DATA_FILE = Path(__file__).with_name("data") / "kz_calendar.toml"
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Transfer:
    day_off: date | None
    working_day: date | None
    source: str
    status: str  # confirmed | secondary | unconfirmed


@dataclass(frozen=True)
class YearCoverage:
    year: int
    status: str
    note: str


@dataclass(frozen=True)
class CalendarTable:
    transfers: tuple[Transfer, ...]
    years: tuple[YearCoverage, ...] = field(default=())


def load_table(path: Path = DATA_FILE) -> CalendarTable:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    transfers = []
    for item in raw.get("transfer", []):
        day_off, working = item.get("day_off"), item.get("working_day")
        for value in (day_off, working):
            if value is not None and not isinstance(value, date):
                raise ValueError(f"{path}: dates must be TOML dates, got {value!r}")
        if working is not None and working.weekday() < 5:
            raise ValueError(f"{path}: working_day {working} is not a weekend day")
        if not item.get("source") or item.get("status") not in {"confirmed", "secondary", "unconfirmed"}:
            raise ValueError(f"{path}: every transfer needs a source and a status")
        transfers.append(Transfer(day_off, working, item["source"], item["status"]))
    years = tuple(YearCoverage(int(y["year"]), y["status"], y.get("note", "")) for y in raw.get("year", []))
    return CalendarTable(tuple(transfers), years)


class WorkingCalendar:
    """Working days of Kazakhstan; ``extra_*`` let an operator or a test add decree entries."""

    def __init__(
        self,
        table: CalendarTable | None = None,
        *,
        extra_days_off: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
    ) -> None:
        self.table = table if table is not None else load_table()
        self.days_off = frozenset(
            [t.day_off for t in self.table.transfers if t.day_off] + list(extra_days_off)
        )
        self.working_weekend_days = frozenset(
            [t.working_day for t in self.table.transfers if t.working_day] + list(extra_working_days)
        )
        self._holidays: dict[int, holidays.HolidayBase] = {}

    def holidays_of(self, year: int) -> holidays.HolidayBase:
        if year not in self._holidays:
            self._holidays[year] = holidays.country_holidays("KZ", years=year, language="en_US")
        return self._holidays[year]

    def holiday_name(self, day: date) -> str | None:
        return self.holidays_of(day.year).get(day)

    def is_working_day(self, day: date) -> bool:
        if day in self.working_weekend_days:
            return True
        if day.weekday() >= 5 or day in self.days_off:
            return False
        return day not in self.holidays_of(day.year)

    def next_working_day(self, day: date) -> date:
        """``day`` itself when it is a working day, else the first working day after it."""
        while not self.is_working_day(day):
            day += ONE_DAY
        return day

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after ``day`` (n > 0) or before it (n < 0).

        ``n == 0`` rolls a non-working ``day`` forward to the next working day. Counting starts
        the day after ``day``: a 3-working-day deadline from Friday 10 May 2024 ends on Wednesday
        15 May (Mon 13, Tue 14, Wed 15).
        """
        if n == 0:
            return self.next_working_day(day)
        step = ONE_DAY if n > 0 else -ONE_DAY
        remaining = abs(n)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in the half-open interval (start, end]; negative when end < start.

        So ``working_days_between(d, add_working_days(d, n)) == n`` for every n ≥ 1.
        """
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        day = start + ONE_DAY
        while day <= end:
            if self.is_working_day(day):
                count += 1
            day += ONE_DAY
        return count

    def coverage(self, year: int) -> YearCoverage | None:
        """How sure the transfer table is for ``year`` (None: not covered at all)."""
        return next((y for y in self.table.years if y.year == year), None)


@lru_cache(maxsize=1)
def default_calendar() -> WorkingCalendar:
    return WorkingCalendar()


def is_working_day(day: date) -> bool:
    return default_calendar().is_working_day(day)


def next_working_day(day: date) -> date:
    return default_calendar().next_working_day(day)


def add_working_days(day: date, n: int) -> date:
    return default_calendar().add_working_days(day, n)


def working_days_between(start: date, end: date) -> int:
    return default_calendar().working_days_between(start, end)
