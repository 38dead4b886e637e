"""Reads of the incident register: other rooms' pages, the risk register and the dashboard of
what is due and overdue (R-INC-1)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qaryz.incidents.models import Incident, Notice

TASKS = {
    "measures": _("Measures to remove the causes and consequences"),
    "authority": _("Inform the authority"),
    "clients": _("Inform the affected clients"),
    "recovery": _("Recovery and confirmation of the normal state"),
}
STATES = {
    "overdue": _("Overdue"),
    "due_today": _("Deadline today"),
    "due": _("Due"),
    "open": _("In progress"),
    "done": _("Done"),
    "late": _("Done late"),
}


def incidents_from(source: str) -> QuerySet[Incident]:
    return Incident.objects.filter(source=source).order_by("reported_at", "id")


def open_incidents() -> QuerySet[Incident]:
    return Incident.objects.filter(status=Incident.Status.OPEN).order_by("measures_due", "id")


def incident_for_staff(incident_id: int) -> Incident | None:
    return Incident.objects.filter(pk=incident_id).select_related("asset").first()


def incident_frequency(asset_id: int, *, years: int = 3, today: dt.date | None = None) -> dict[str, Any]:
    """Past incidents of an asset (seed 000 §21: the statistics of past frequency): the total in
    the last ``years`` years, per year, and the last one."""
    today = today or timezone.localdate()
    since = today - dt.timedelta(days=365 * years)
    rows = Incident.objects.filter(asset_id=asset_id, reported_at__date__gte=since).order_by("-reported_at")
    total = rows.count()
    last = rows.first()
    return {"total": total, "per_year": round(total / years, 1), "last": last.reported_at if last else None}


@dataclass
class Task:
    incident: Incident
    code: str
    label: str
    due: dt.date | None
    state: str
    state_label: str
    done_at: dt.datetime | None


def _state(due: dt.date | None, done_at: dt.datetime | None, today: dt.date) -> str:
    if done_at is not None:
        return "late" if due is not None and timezone.localdate(done_at) > due else "done"
    if due is None:
        return "open"
    if due < today:
        return "overdue"
    return "due_today" if due == today else "due"


def tasks(incident: Incident, today: dt.date | None = None) -> list[Task]:
    """The four obligations of an incident with their deadlines and states."""
    today = today or timezone.localdate()
    notices = list(incident.notices.all())
    sent_to_authority = [
        n.sent_at for n in notices if n.recipient_kind == Notice.Recipient.AUTHORITY and n.sent_at
    ]
    affected = list(incident.affected.all())
    clients_done: dt.datetime | None = None
    if affected and all(a.informed_at for a in affected):
        clients_done = max(a.informed_at for a in affected)  # type: ignore[type-var]
    found = [
        ("measures", incident.measures_due, incident.measures_taken_at),
        ("authority", incident.inform_due, min(sent_to_authority) if sent_to_authority else None),
    ]
    if affected:
        found.append(("clients", incident.inform_due, clients_done))
    found.append(("recovery", None, incident.normal_state_confirmed_at))
    result = []
    for code, due, done_at in found:
        state = _state(due, done_at, today)
        result.append(Task(incident, code, str(TASKS[code]), due, state, str(STATES[state]), done_at))
    return result


def dashboard(today: dt.date | None = None) -> dict[str, Any]:
    """Open tasks of open incidents, overdue first, then by deadline; and the counters."""
    today = today or timezone.localdate()
    items: list[Task] = []
    for incident in open_incidents().prefetch_related("notices", "affected"):
        items.extend(t for t in tasks(incident, today) if t.state in ("overdue", "due_today", "due", "open"))
    order = {"overdue": 0, "due_today": 1, "due": 2, "open": 3}
    items.sort(key=lambda t: (order[t.state], t.due or dt.date.max, t.incident.pk))
    counts = {state: sum(1 for t in items if t.state == state) for state in order}
    return {"items": items, "counts": counts}


def register(show: str = "open") -> QuerySet[Incident]:
    rows = Incident.objects.select_related("asset")
    if show == "open":
        rows = rows.filter(status=Incident.Status.OPEN)
    elif show == "closed":
        rows = rows.filter(status=Incident.Status.CLOSED)
    elif show in Incident.Kind.values:
        rows = rows.filter(kind=show)
    return rows
