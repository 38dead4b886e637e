"""The reports of the workbench (issue 14 item 8): each a table of figures per period (or per
bucket) with a chart and a CSV export. Reports are pluggable like the queues: a room adds its own
from ``AppConfig.ready``::

    from qaryz.backoffice.reports import Column, Table, register_report

    def _hits(since, until, grain):
        ...  # one GROUP BY query
        return Table(columns=[Column("hits", gettext_lazy("Hits"))], rows=[...], chart=["hits"])

    register_report("antifraud", gettext_lazy("Antifraud hits"), "antifraud.view_alerts", _hits)

``build(since, until, grain)`` gets local dates (inclusive) and "day" / "week" / "month".
Registering a key again replaces the report (the antifraud and incidents rooms being built take
over the entries registered here).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db.models import Count
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from qaryz.backoffice import selectors


@dataclass(frozen=True)
class Column:
    key: str
    label: Any
    money: bool = False  # tiyn, shown and exported as KZT with two decimals


@dataclass
class Table:
    columns: list[Column]
    rows: list[tuple[str, dict[str, int]]]  # (row label, {column key: value})
    chart: list[str] = field(default_factory=list)  # column keys drawn as bars
    note: Any = ""

    def totals(self) -> dict[str, int]:
        return {c.key: sum(values.get(c.key, 0) for _label, values in self.rows) for c in self.columns}


Builder = Callable[[dt.date, dt.date, str], Table]


@dataclass(frozen=True)
class Report:
    key: str
    title: Any
    permission: str
    build: Builder
    periodic: bool = True  # False: a snapshot today (the period form does not apply)


_REPORTS: dict[str, Report] = {}


def register_report(key: str, title: Any, permission: str, build: Builder, *, periodic: bool = True) -> None:
    _REPORTS[key] = Report(key, title, permission, build, periodic)


def reports_for(user: Any) -> list[Report]:
    return [r for r in _REPORTS.values() if user.has_perm(r.permission)]


def report(key: str) -> Report | None:
    return _REPORTS.get(key)


def period_label(day: dt.date, grain: str) -> str:
    if grain == "month":
        return date_format(day, "m.Y")
    if grain == "week":
        return date_format(day, "d.m")
    return date_format(day, "d.m")


# --- built-in reports ----------------------------------------------------------------------------
def _applications(since: dt.date, until: dt.date, grain: str) -> Table:
    series = selectors.applications_report(since, until, grain)
    return Table(
        columns=[
            Column("submitted", _("Applications submitted")),
            Column("approve", _("Approved")),
            Column("review", _("Sent to manual review")),
            Column("decline", _("Declined")),
        ],
        rows=[(period_label(day, grain), values) for day, values in series.rows],
        chart=["submitted", "approve", "decline"],
        note=_("Decisions count automatic and staff decisions by the day they were taken."),
    )


def _money(since: dt.date, until: dt.date, grain: str) -> Table:
    series = selectors.money_report(since, until, grain)
    return Table(
        columns=[
            Column("disbursed", _("Disbursed, KZT"), money=True),
            Column("loans", _("Loans disbursed")),
            Column("repaid", _("Repaid, KZT"), money=True),
            Column("payments", _("Payments")),
        ],
        rows=[(period_label(day, grain), values) for day, values in series.rows],
        chart=["disbursed", "repaid"],
        note=_("Principal by the day of disbursement; payments by their value date."),
    )


def _portfolio(since: dt.date, until: dt.date, grain: str) -> Table:
    rows = selectors.portfolio_by_bucket()
    return Table(
        columns=[
            Column("loans", _("Active loans")),
            Column("principal", _("Principal outstanding, KZT"), money=True),
            Column("debt", _("Total debt, KZT"), money=True),
        ],
        rows=[
            (selectors.bucket_label(r.bucket), {"loans": r.loans, "principal": r.principal, "debt": r.debt})
            for r in rows
        ],
        chart=["principal"],
        note=_("Today, by days past due as of the last close of business."),
    )


def _incidents(since: dt.date, until: dt.date, grain: str) -> Table:
    """Incidents reported per period by kind (the register in ``qaryz/incidents``)."""
    from qaryz.incidents.models import Incident

    start, end = selectors.day_bounds(since, until)
    found: dict[dt.date, dict[str, int]] = {}
    grouped = (
        Incident.objects.filter(reported_at__gte=start, reported_at__lt=end)
        .annotate(period=selectors._trunc(grain, "reported_at", datetime_field=True))
        .values("period", "kind")
        .annotate(n=Count("id"))
    )
    for row in grouped:
        found.setdefault(selectors._as_date(row["period"]), {})[row["kind"]] = row["n"]
    kinds = list(Incident.Kind.choices)
    series = selectors._fill(selectors.periods(since, until, grain), found, tuple(k for k, _l in kinds))
    return Table(
        columns=[Column(k, label) for k, label in kinds],
        rows=[(period_label(day, grain), values) for day, values in series.rows],
        chart=[k for k, _l in kinds],
    )


def _antifraud(since: dt.date, until: dt.date, grain: str) -> Table:
    """Antifraud alerts raised per period by decision (review, hold, decline)."""
    from qaryz.antifraud.models import Alert

    start, end = selectors.day_bounds(since, until)
    found: dict[dt.date, dict[str, int]] = {}
    grouped = (
        Alert.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(period=selectors._trunc(grain, "created_at", datetime_field=True))
        .values("period", "outcome")
        .annotate(n=Count("id"))
    )
    for row in grouped:
        found.setdefault(selectors._as_date(row["period"]), {})[row["outcome"]] = row["n"]
    outcomes = [(k, label) for k, label in Alert._meta.get_field("outcome").choices if k != "approve"]
    series = selectors._fill(selectors.periods(since, until, grain), found, tuple(k for k, _l in outcomes))
    return Table(
        columns=[Column(k, label) for k, label in outcomes],
        rows=[(period_label(day, grain), values) for day, values in series.rows],
        chart=[k for k, _l in outcomes],
        note=_("Events whose antifraud decision was not an approval, by the day they were evaluated."),
    )


def register_builtin() -> None:
    register_report("applications", _("Applications and decisions"), "backoffice.view_reports", _applications)
    register_report("money", _("Disbursed and repaid"), "backoffice.view_reports", _money)
    register_report(
        "portfolio", _("Portfolio by days past due"), "backoffice.view_reports", _portfolio, periodic=False
    )
    if apps.is_installed("qaryz.incidents"):
        register_report("incidents", _("Incidents"), "incidents.view_incident", _incidents)
    if apps.is_installed("qaryz.antifraud"):
        register_report("antifraud", _("Antifraud hits"), "antifraud.view_alerts", _antifraud)
