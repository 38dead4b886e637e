"""Kazakhstan working-day calendar (working-day deadlines: R-REG-1, R-REG-2, R-INC-1)."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qaryz.core.workdays import (
    WorkingCalendar,
    add_working_days,
    default_calendar,
    is_working_day,
    load_table,
    next_working_day,
    working_days_between,
)

days = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31))
pytestmark = pytest.mark.req("R-REG-1", "R-INC-1")


@pytest.mark.parametrize(
    "day",
    [
        date(2024, 1, 1),
        date(2024, 1, 2),  # New Year
        date(2025, 1, 7),  # Orthodox Christmas (a Tuesday)
        date(2024, 3, 8),  # Women's Day
        date(2024, 3, 21),
        date(2024, 3, 22),
        date(2024, 3, 25),  # Nauryz; 23 March (Sat) -> Mon 25
        date(2025, 3, 24),
        date(2025, 3, 25),  # Nauryz 22-23 March 2025 fell on the weekend
        date(2024, 5, 1),
        date(2024, 5, 7),
        date(2024, 5, 9),
        date(2024, 5, 8),  # decree transfer: day off from Saturday 4 May
        date(2024, 7, 8),  # Capital Day, 6 July 2024 was a Saturday
        date(2024, 8, 30),
        date(2025, 9, 1),  # Constitution Day (30.08.2025 Saturday -> Monday)
        date(2024, 10, 25),
        date(2025, 10, 27),  # Republic Day
        date(2024, 12, 16),
        date(2025, 12, 16),  # Independence Day
        date(2025, 1, 3),  # decree transfer: day off from Sunday 5 January
        date(2025, 6, 6),  # Kurban ait (moves with the lunar calendar)
        date(2026, 3, 23),
        date(2026, 3, 24),
        date(2026, 3, 25),
        date(2026, 5, 11),  # Victory Day 9 May 2026 is a Saturday
    ],
)
def test_known_days_off(day):
    assert not is_working_day(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2024, 5, 4),  # Saturday worked under the 2024 transfer decree
        date(2025, 1, 5),  # Sunday worked under the 2025 transfer decree
        date(2024, 6, 17),  # Monday after Kurban ait 2024 (a Sunday): religious days do not move
        date(2024, 1, 3),
        date(2024, 3, 26),
        date(2025, 6, 5),
    ],
)
def test_known_working_days(day):
    assert is_working_day(day)


def test_ordinary_weekends_are_days_off():
    assert not is_working_day(date(2024, 5, 11))  # Saturday
    assert not is_working_day(date(2024, 5, 12))  # Sunday


def test_deadline_vectors():
    # Fri 10 May 2024 + 3 working days: Mon 13, Tue 14, Wed 15.
    assert add_working_days(date(2024, 5, 10), 3) == date(2024, 5, 15)
    # Fri 3 May 2024 + 1: Saturday 4 May is a working day by decree.
    assert add_working_days(date(2024, 5, 3), 1) == date(2024, 5, 4)
    # Sat 4 May + 2: Mon 6, (Tue 7, Wed 8, Thu 9 off), Fri 10.
    assert add_working_days(date(2024, 5, 4), 2) == date(2024, 5, 10)
    # Tue 31 Dec 2024 + 1: 1-3 January off, 4 Sat off, 5 Sun worked.
    assert add_working_days(date(2024, 12, 31), 1) == date(2025, 1, 5)
    # 10 working days before a launch on Mon 30 Sept 2024 (R-REG-1): Mon 16 Sept.
    assert add_working_days(date(2024, 9, 30), -10) == date(2024, 9, 16)
    # 2-31 May 2024: 22 weekdays, minus 7, 8, 9 May, plus Saturday 4 May worked.
    assert working_days_between(date(2024, 5, 1), date(2024, 5, 31)) == 20
    assert next_working_day(date(2024, 3, 21)) == date(2024, 3, 26)
    assert add_working_days(date(2024, 3, 21), 0) == date(2024, 3, 26)


@given(days, st.integers(min_value=1, max_value=60))
def test_add_lands_on_a_working_day_and_counts_back(day, n):
    result = add_working_days(day, n)
    assert result > day
    assert is_working_day(result)
    assert working_days_between(day, result) == n
    assert working_days_between(result, day) == -n


@given(days, st.integers(min_value=1, max_value=60))
def test_add_backwards(day, n):
    result = add_working_days(day, -n)
    assert result < day
    assert is_working_day(result)
    # n working days in [result, day)
    assert working_days_between(result - timedelta(days=1), day - timedelta(days=1)) == n


@given(days, st.integers(min_value=0, max_value=40), st.integers(min_value=0, max_value=40))
def test_add_is_monotonic_and_additive(day, a, b):
    lo, hi = sorted((a, b))
    assert add_working_days(day, lo) <= add_working_days(day, hi)
    if a and b:
        assert add_working_days(add_working_days(day, a), b) == add_working_days(day, a + b)


@given(days, days)
def test_between_matches_a_day_by_day_count(a, b):
    start, end = sorted((a, b))
    expected = sum(is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))
    assert working_days_between(start, end) == expected


def test_table_entries_have_sources_and_statuses():
    table = load_table()
    assert {y.year for y in table.years} >= {2024, 2025, 2026}
    for transfer in table.transfers:
        assert transfer.source and transfer.status in {"confirmed", "secondary", "unconfirmed"}
        if transfer.working_day:
            assert transfer.working_day.weekday() >= 5
            assert is_working_day(transfer.working_day)
        if transfer.day_off:
            assert not is_working_day(transfer.day_off)
    coverage_2026 = default_calendar().coverage(2026)
    assert coverage_2026 is not None and coverage_2026.status == "unconfirmed"


def test_new_decree_entries_change_the_calendar(tmp_path):
    data = tmp_path / "cal.toml"
    data.write_text(
        '[[transfer]]\nday_off = 2026-01-05\nworking_day = 2026-01-10\nsource = "test"\nstatus = "unconfirmed"\n'
    )
    calendar = WorkingCalendar(load_table(data))
    assert not calendar.is_working_day(date(2026, 1, 5))
    assert calendar.is_working_day(date(2026, 1, 10))
    assert is_working_day(date(2026, 1, 5)) and not is_working_day(date(2026, 1, 10))


def test_malformed_table_is_refused(tmp_path):
    data = tmp_path / "bad.toml"
    data.write_text('[[transfer]]\nworking_day = 2026-01-07\nsource = "x"\nstatus = "secondary"\n')
    with pytest.raises(ValueError, match="not a weekend"):
        load_table(data)
