"""The incident register: one incident per kind and source, with the R-FRAUD-1 deadlines in working days."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from qaryz.incidents.models import Incident
from qaryz.incidents.services import IncidentError, report_incident
from qaryz.records.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.mark.req("R-FRAUD-1")
def test_report_once_with_working_day_deadlines():
    # Mon 6 May 2024: Tue 7, Wed 8 (transferred) and Thu 9 May are days off.
    with time_machine.travel(dt.datetime(2024, 5, 6, 10, tzinfo=ZoneInfo("Asia/Almaty")), tick=False):
        incident = report_incident(
            kind="fraud", summary="Микрокредит оформлен третьим лицом", source="fraud_case:1", actor="system"
        )
        again = report_incident(kind="fraud", summary="повторно", source="fraud_case:1", actor="system")
    assert again.pk == incident.pk and Incident.objects.count() == 1
    assert incident.inform_due == dt.date(2024, 5, 10) and incident.measures_due == dt.date(2024, 5, 13)
    assert incident.status == Incident.Status.OPEN
    assert AuditEvent.objects.filter(action="incidents.reported").count() == 1


def test_nonsense_is_refused():
    with pytest.raises(IncidentError):
        report_incident(kind="weather", summary="x", source="y", actor=None)
    with pytest.raises(IncidentError):
        report_incident(kind="fraud", summary=" ", source="y", actor=None)
