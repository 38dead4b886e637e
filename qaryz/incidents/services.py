"""Reporting to the incident register: the one writer of ``Incident`` rows."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from qaryz.core import workdays
from qaryz.incidents.models import Incident
from qaryz.records.services import record_event as audit


class IncidentError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _label(actor: Any) -> str:
    if actor is None or isinstance(actor, str):
        return actor or "system"
    if hasattr(actor, "get_username"):
        return actor.get_username()
    return str(getattr(actor, "pk", ""))


def report_incident(*, kind: str, summary: str, source: str, actor: Any) -> Incident:
    """Register an incident (R-FRAUD-1); the same ``kind`` from the same ``source`` is one incident
    (a repeated report returns it). Its deadlines are working days from the report: measures
    within ``QARYZ_INCIDENT_MEASURES_WORKING_DAYS`` (2), the client and the authority informed
    within ``QARYZ_INCIDENT_INFORM_WORKING_DAYS`` (1)."""
    if kind not in Incident.Kind.values:
        raise IncidentError(f"unknown incident kind {kind!r}")
    if not summary.strip() or not source.strip():
        raise IncidentError("an incident needs a summary and a source")
    existing = Incident.objects.filter(kind=kind, source=source[:120]).first()
    if existing is not None:
        return existing
    now = timezone.now()
    today = timezone.localdate(now)
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                kind=kind,
                summary=summary.strip(),
                source=source[:120],
                reported_at=now,
                reported_by=_label(actor)[:150],
                measures_due=workdays.add_working_days(
                    today, int(getattr(settings, "INCIDENT_MEASURES_WORKING_DAYS", 2))
                ),
                inform_due=workdays.add_working_days(
                    today, int(getattr(settings, "INCIDENT_INFORM_WORKING_DAYS", 1))
                ),
            )
            audit(
                "incidents.reported",
                category="security",
                actor=actor,
                target=incident,
                data={"kind": kind, "source": incident.source},
            )
    except IntegrityError:
        existing = Incident.objects.filter(kind=kind, source=source[:120]).first()
        if existing is None:
            raise
        return existing
    return incident
