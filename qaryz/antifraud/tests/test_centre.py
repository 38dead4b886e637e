"""The NBRK antifraud-centre port: the embedded simulator keeps what it received with its answer,
the outbox keeps each report's state, the HTTP adapter speaks the documented contract (R-AF-1)."""

from __future__ import annotations

import json

import httpx
import pytest

from qaryz.access.testing import make_client
from qaryz.antifraud import services
from qaryz.antifraud.adapters.embedded import EmbeddedCentre
from qaryz.antifraud.adapters.http import HttpCentre
from qaryz.antifraud.models import Alert, Hold, Report, SimCentreMessage
from qaryz.antifraud.ports import CentreError, CentreMessage
from qaryz.antifraud.tests.helpers import activate, officers

pytestmark = [pytest.mark.django_db, pytest.mark.req("R-AF-1")]


def test_holds_declines_and_confirmed_fraud_reach_the_centre(django_capture_on_commit_callbacks):
    activate(
        [
            {"code": "leak", "kind": "data_leak", "outcome": "hold"},
            {"code": "tr", "kind": "location_abroad", "outcome": "review"},
        ]
    )
    customer = make_client()
    with django_capture_on_commit_callbacks(execute=True):
        review = services.evaluate("login", client=customer, attributes={"country": "TR"})
        held = services.evaluate(
            "payout", client=customer, attributes={"data_leak_flagged": True}, subject="loan:9"
        )
    assert not Report.objects.filter(key=f"alert-{review.alert_id}").exists()  # a review stays in-house
    report = Report.objects.get(key=f"alert-{held.alert_id}")
    assert report.status == "accepted" and report.reference.startswith("AFC-")
    received = SimCentreMessage.objects.get(key=report.key)
    assert received.payload["subject_id"] == customer.iin and received.payload["rules"] == ["leak"]
    officer, _ = officers()
    services.release_hold(Hold.objects.get(pk=held.hold_id), officer)
    case = services.open_case([Alert.objects.get(pk=held.alert_id)], officer)
    EmbeddedCentre.fail_next = 1  # the centre is down when the case is closed
    with django_capture_on_commit_callbacks(execute=True):
        services.close_case(case, officer, outcome="confirmed_fraud", loss=2_500_000, findings="mule")
    fraud = Report.objects.get(key=f"fraud-{case.pk}")
    assert (fraud.status, fraud.attempts) == ("pending", 1) and "unreachable" in fraud.error
    assert services.send_reports() == {"accepted": 1, "rejected": 0, "pending": 0}
    fraud.refresh_from_db()
    assert fraud.status == "accepted"
    assert SimCentreMessage.objects.get(key=fraud.key).payload["loss"] == 2_500_000
    assert services.send_reports() == {"accepted": 0, "rejected": 0, "pending": 0}  # nothing twice


def test_the_simulator_rejects_an_invalid_message_and_answers_the_same_key_the_same():
    centre = EmbeddedCentre()
    bad = centre.submit(
        CentreMessage("k1", "alert", {"subject_id": "123", "occurred_at": "2026-12-01T10:00:00+05:00"})
    )
    assert not bad.accepted and bad.reason == "invalid_subject"
    again = centre.submit(CentreMessage("k1", "alert", {"subject_id": make_client().iin, "occurred_at": "x"}))
    assert again == bad
    fraud = centre.submit(
        CentreMessage("k2", "fraud", {"subject_id": make_client().iin, "occurred_at": "x", "loss": -1})
    )
    assert fraud.reason == "malformed"


def test_http_adapter_contract():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = json.loads(request.content)
        if len(seen) == 1:
            return httpx.Response(503)
        return httpx.Response(200, json={"key": body["key"], "accepted": True, "reference": "NB-1"})

    port = HttpCentre(
        "https://afc.example/api", token="t0k", backoff=0, transport=httpx.MockTransport(handler)
    )
    ack = port.submit(CentreMessage("alert-1", "alert", {"subject_id": "x"}))
    assert ack.accepted and ack.reference == "NB-1" and len(seen) == 2
    assert (
        seen[1].headers["Authorization"] == "Bearer t0k" and seen[1].headers["Idempotency-Key"] == "alert-1"
    )
    assert seen[1].url == "https://afc.example/api/v1/messages"
    wrong = HttpCentre(
        "https://afc.example",
        token="t",
        retries=0,
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json={"key": "other", "accepted": True})),
    )
    with pytest.raises(CentreError):
        wrong.submit(CentreMessage("alert-2", "alert", {}))


def test_the_scheduled_job_resends_what_an_outage_left_pending(django_capture_on_commit_callbacks):
    """Issue 14: the beat job ``resend-afc-reports`` (and ``manage.py resend_afc_reports``)."""
    import datetime as dt
    from io import StringIO

    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from qaryz.antifraud.tasks import resend_reports_job
    from qaryz.records.models import AuditEvent

    assert (
        settings.CELERY_BEAT_SCHEDULE["resend-afc-reports"]["args"][0]
        == "qaryz.antifraud.tasks.resend_reports_job"
    )
    activate([{"code": "leak", "kind": "data_leak", "outcome": "hold"}])
    EmbeddedCentre.fail_next = 2  # the centre is down for the first send and the first retry
    with django_capture_on_commit_callbacks(execute=True):
        held = services.evaluate("payout", client=make_client(), attributes={"data_leak_flagged": True})
    report = Report.objects.get(key=f"alert-{held.alert_id}")
    assert report.status == "pending" and report.attempts == 1
    assert resend_reports_job.call() == {"accepted": 0, "rejected": 0, "pending": 0}  # too young yet
    Report.objects.filter(pk=report.pk).update(created_at=timezone.now() - dt.timedelta(minutes=30))
    assert resend_reports_job.call() == {"accepted": 0, "rejected": 0, "pending": 1}  # still down
    out = StringIO()
    call_command("resend_afc_reports", stdout=out)
    assert out.getvalue().strip() == "accepted=1 rejected=0 pending=0"
    report.refresh_from_db()
    assert (report.status, report.attempts) == ("accepted", 3) and report.reference.startswith("AFC-")
    assert SimCentreMessage.objects.filter(key=report.key).count() == 1
    assert resend_reports_job.call() == {"accepted": 0, "rejected": 0, "pending": 0}  # nothing twice
    assert AuditEvent.objects.filter(action="antifraud.reports_resent").count() == 2
