"""Deadlines of a fraud-victim case in working days of the core calendar (holidays, transferred
days off, working weekend days from core/data/kz_calendar.toml) and the calendar-day variant."""

from __future__ import annotations

import datetime as dt

import pytest

from qaryz.fraudcases import deadlines, selectors, services
from qaryz.fraudcases.models import FraudCase
from qaryz.fraudcases.tests.helpers import START, officer, register
from qaryz.servicing.tests.factories import active_loan

D = dt.date


@pytest.mark.req("R-FRAUD-2")
def test_three_working_days_skip_holidays_and_the_transferred_day_off():
    # Mon 6 May 2024: Tue 7 (Defender's Day), Wed 8 (day off transferred from Sat 4 May) and Thu 9
    # (Victory Day) are not working days; Fri 10, Mon 13, Tue 14 are.
    assert deadlines.deadline(D(2024, 5, 6), 3) == D(2024, 5, 14)


@pytest.mark.req("R-FRAUD-2")
def test_a_transferred_working_saturday_counts():
    # Thu 2 May 2024: Fri 3, Sat 4 (worked by the 2024 decree), Mon 6.
    assert deadlines.deadline(D(2024, 5, 2), 3) == D(2024, 5, 6)


@pytest.mark.req("R-FRAUD-2")
def test_new_year_2025_with_its_transfer_and_the_calendar_variant():
    # Tue 31 Dec 2024: 1–2 Jan holidays, Fri 3 Jan off (transferred to Sun 5 Jan, worked), Mon 6,
    # Tue 7 Jan Orthodox Christmas, Wed 8.
    assert deadlines.deadline(D(2024, 12, 31), 3) == D(2025, 1, 8)
    # The MFO procedure (seed 000 §36): three calendar days, never moved to a working day.
    assert deadlines.deadline(D(2024, 12, 31), 3, deadlines.CALENDAR) == D(2025, 1, 3)


@pytest.mark.req("R-FRAUD-4")
def test_fifteen_working_days_across_nauryz_and_may_2024():
    # Fri 14 Mar 2025: Nauryz 21–23 March and its observed days Mon 24 and Tue 25 are off.
    assert deadlines.deadline(D(2025, 3, 14), 15) == D(2025, 4, 9)
    # Fri 26 Apr 2024: 1 May off, Sat 4 May worked, 7–9 May off.
    assert deadlines.deadline(D(2024, 4, 26), 15) == D(2024, 5, 22)


def test_deadline_refuses_nonsense():
    with pytest.raises(ValueError):
        deadlines.deadline(D(2025, 1, 1), 0)
    with pytest.raises(ValueError):
        deadlines.deadline(D(2025, 1, 1), 3, "lunar")


def test_step_states():
    today = D(2025, 1, 8)
    assert deadlines.state(D(2025, 1, 8), None, today) == "due_today"
    assert deadlines.state(D(2025, 1, 7), None, today) == "overdue"
    assert deadlines.state(D(2025, 1, 9), None, today) == "upcoming"
    assert deadlines.state(D(2025, 1, 7), D(2025, 1, 7), today) == "done"


@pytest.mark.req("R-FRAUD-2")
@pytest.mark.django_db
def test_a_case_keeps_the_rule_in_force_at_registration(lending_setup, settings):
    loan = active_loan(lending_setup, START)
    actor = officer()
    case = register(loan, actor, received_on=D(2024, 12, 31), today=START)
    assert (case.suspension_due, case.suspension_days, case.suspension_day_kind) == (
        D(2025, 1, 8),
        3,
        "working",
    )
    settings.FRAUD_SUSPENSION_DAY_KIND = "calendar"  # the stricter variant, selected by setting
    other = register(active_loan(lending_setup, START), actor, received_on=D(2024, 12, 31), today=START)
    assert other.suspension_due == D(2025, 1, 3) and other.suspension_day_kind == "calendar"
    case.refresh_from_db()
    assert case.suspension_due == D(2025, 1, 8)  # a registered case's deadline does not move


@pytest.mark.req("R-FRAUD-2", "R-FRAUD-4")
@pytest.mark.django_db
def test_due_today_overdue_and_the_nightly_flag(lending_setup):
    actor = officer()
    today = D(2025, 1, 8)
    due_today = register(active_loan(lending_setup, START), actor, received_on=D(2024, 12, 31), today=START)
    overdue = register(active_loan(lending_setup, START), actor, received_on=D(2024, 12, 27), today=START)
    upcoming = register(active_loan(lending_setup, START), actor, received_on=D(2025, 1, 6), today=START)
    assert overdue.suspension_due == D(2025, 1, 5)  # Fri 27 Dec: 30, 31 Dec, (1–3 Jan off), Sun 5 worked
    assert upcoming.suspension_due == D(2025, 1, 10)  # Mon 6: (Tue 7 off), Wed 8, Thu 9, Fri 10
    assert list(selectors.cases("due_today", today)) == [due_today]
    assert list(selectors.cases("overdue", today)) == [overdue]
    assert selectors.counts(today) == {"due_today": 1, "overdue": 1, "open": 3, "suspended": 0}
    steps = {s.code: s for s in selectors.steps(overdue, today)}
    assert steps["suspension"].state == "overdue" and steps["suspension"].rule
    assert services.flag_overdue_steps(today) == {"suspension_overdue": 1, "verdict_measures_overdue": 0}
    assert services.flag_overdue_steps(today) == {"suspension_overdue": 0, "verdict_measures_overdue": 0}
    flagged = set(FraudCase.objects.filter(overdue_flagged_at__isnull=False).values_list("pk", flat=True))
    assert flagged == {overdue.pk}
