"""Reads for the back-office pages: cases with their deadlines, what is due today, what is overdue."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from qaryz.fraudcases import deadlines
from qaryz.fraudcases.models import CaseLoan, FraudCase

# A step is open while the case is in this status; its deadline is in the named field.
OPEN_SUSPENSION = Q(status=FraudCase.Status.REGISTERED)
OPEN_VERDICT = Q(status=FraudCase.Status.VERDICT, verdict_done_on__isnull=True)

STATE_LABELS = {
    "done": pgettext_lazy("deadline", "Done"),
    "due_today": pgettext_lazy("deadline", "Due today"),
    "overdue": pgettext_lazy("deadline", "Overdue"),
    "upcoming": pgettext_lazy("deadline", "Upcoming"),
    "none": pgettext_lazy("deadline", "No deadline"),
}


def rule_words(days: int | None, kind: str) -> str:
    if not days:
        return ""
    if kind == deadlines.CALENDAR:
        return ngettext("%(n)s calendar day", "%(n)s calendar days", days) % {"n": days}
    return ngettext("%(n)s working day", "%(n)s working days", days) % {"n": days}


@dataclass(frozen=True)
class Step:
    code: str
    label: str
    due: dt.date | None
    done_on: dt.date | None
    state: str
    state_label: str
    rule: str


def steps(case: FraudCase, today: dt.date) -> list[Step]:
    """Each step of the case with its deadline and state today."""
    result = [
        _step(
            "suspension",
            str(_("Suspend accrual, collection and bureau reporting; notify the client")),
            case.suspension_due,
            case.suspended_on,
            today,
            rule_words(case.suspension_days, case.suspension_day_kind),
        )
    ]
    if case.cancelled_on is not None:
        result.append(
            _step(
                "resumption",
                str(_("Proceeding dropped: resume the loans")),
                None,
                case.resumed_on,
                today,
                "",
            )
        )
    if case.verdict_on is not None:
        result.append(
            _step(
                "verdict",
                str(_("Court verdict: write-off, bureau correction, refund of everything paid")),
                case.verdict_due,
                case.verdict_done_on,
                today,
                rule_words(case.verdict_days, case.verdict_day_kind),
            )
        )
    return result


def _step(code: str, label: str, due, done_on, today: dt.date, rule: str) -> Step:
    state = deadlines.state(due, done_on, today)
    if due is None and done_on is None:
        state = "none"
    return Step(code, label, due, done_on, state, str(STATE_LABELS[state]), rule)


def open_step_due(case: FraudCase) -> dt.date | None:
    if case.status == FraudCase.Status.REGISTERED:
        return case.suspension_due
    if case.status == FraudCase.Status.VERDICT and case.verdict_done_on is None:
        return case.verdict_due
    return None


def _due_filter(op: str, today: dt.date) -> Q:
    return (OPEN_SUSPENSION & Q(**{f"suspension_due__{op}": today})) | (
        OPEN_VERDICT & Q(**{f"verdict_due__{op}": today})
    )


def cases(show: str, today: dt.date) -> QuerySet[FraudCase]:
    """``open`` (a step with a deadline is open), ``due_today``, ``overdue``, ``suspended`` or ``all``."""
    qs = FraudCase.objects.select_related("client").order_by("-received_on", "-id")
    if show == "due_today":
        return qs.filter(_due_filter("exact", today))
    if show == "overdue":
        return qs.filter(_due_filter("lt", today))
    if show == "open":
        return qs.filter(OPEN_SUSPENSION | OPEN_VERDICT)
    if show == "suspended":
        return qs.filter(status=FraudCase.Status.SUSPENDED)
    return qs


def counts(today: dt.date) -> dict[str, int]:
    base = FraudCase.objects
    return {
        "due_today": base.filter(_due_filter("exact", today)).count(),
        "overdue": base.filter(_due_filter("lt", today)).count(),
        "open": base.filter(OPEN_SUSPENSION | OPEN_VERDICT).count(),
        "suspended": base.filter(status=FraudCase.Status.SUSPENDED).count(),
    }


def case_rows(queryset: QuerySet[FraudCase], today: dt.date, limit: int = 200) -> list[dict[str, Any]]:
    rows = []
    for case in queryset[:limit]:
        due = open_step_due(case)
        state = deadlines.state(due, None, today) if due else "none"
        rows.append(
            {
                "case": case,
                "due": due,
                "state": state,
                "state_label": str(STATE_LABELS[state]) if due else "",
                "loans": ", ".join(
                    CaseLoan.objects.filter(case=case)
                    .values_list("loan__number", flat=True)
                    .order_by("loan_id")
                ),
            }
        )
    return rows


def case_for_staff(case_id: int) -> FraudCase | None:
    return FraudCase.objects.select_related("client", "registered_by").filter(pk=case_id).first()


def case_loans(case: FraudCase) -> list[CaseLoan]:
    return list(CaseLoan.objects.filter(case=case).select_related("loan").order_by("loan_id"))
