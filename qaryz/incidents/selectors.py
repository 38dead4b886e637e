"""Reads of the incident register for other rooms' pages."""

from __future__ import annotations

from django.db.models import QuerySet

from qaryz.incidents.models import Incident


def incidents_from(source: str) -> QuerySet[Incident]:
    return Incident.objects.filter(source=source).order_by("reported_at", "id")


def open_incidents() -> QuerySet[Incident]:
    return Incident.objects.filter(status=Incident.Status.OPEN).order_by("measures_due", "id")
