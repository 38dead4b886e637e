"""Status notifications in the client's language (R-CAB-4, R-AUTH-6): the application approved,
the contract signed, the money paid out, a payment received, a failed payout – each once, after
the change commits; and the client's preferred language follows the cabinet's language switch."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.utils import timezone

from qaryz.lending.tests.conftest import _fresh_bureau_memory, lending_setup  # noqa: F401
from qaryz.messaging import status_notices
from qaryz.messaging.models import Notification

pytestmark = pytest.mark.django_db


def _keys(client) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        key.split(":", 2)[-1]
        for key in Notification.objects.filter(client=client)
        .exclude(key="")
        .order_by("id")
        .values_list("key", flat=True)
    ]


@pytest.mark.req("R-CAB-4", "R-AUTH-6")
def test_the_loan_journey_is_announced_in_kazakh_once_per_event(
    lending_setup,  # noqa: F811
    outbox,
    django_capture_on_commit_callbacks,
):
    from qaryz.servicing import repayments
    from qaryz.servicing.tests.factories import active_loan

    with django_capture_on_commit_callbacks(execute=True):
        loan = active_loan(
            lending_setup, timezone.localdate() - dt.timedelta(days=3), preferred_language="kk"
        )
    client = loan.client
    assert _keys(client) == ["approved", "signed", "disbursed"]
    notes = {n.key.rsplit(":", 1)[-1]: n for n in Notification.objects.filter(client=client).exclude(key="")}
    assert notes["approved"].subject == "Өтінім мақұлданды" and "мақұлданды" in notes["approved"].body
    assert notes["signed"].subject == "Шартқа қол қойылды" and loan.number in notes["signed"].body
    assert notes["disbursed"].subject == "Микрокредит берілді"
    texts = [m.text for m in outbox(client.phone)]
    assert any(t.startswith("Өтінім мақұлданды") for t in texts)  # approved: also by SMS
    assert not any(t.startswith("Шартқа қол қойылды") for t in texts)  # signed: in the cabinet only
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):  # a repeated webhook line posts (and announces) nothing new
            repayments.post_payment(
                loan,
                channel="bank",
                payer_reference="st-1",
                amount_tiyn=15_000_00,
                value_date=timezone.localdate(),
            )
    payment_notes = Notification.objects.filter(client=client, key__contains="servicing.payment:")
    assert payment_notes.count() == 1
    note = payment_notes.get()
    assert note.subject == "Төлем түсті" and loan.number in note.body and "15" in note.body
    with django_capture_on_commit_callbacks(execute=True):
        status_notices.application_status(loan.application, "approved")  # the same event again
    assert _keys(client).count("approved") == 1


@pytest.mark.req("R-AUTH-6")
def test_a_rolled_back_change_announces_nothing(django_capture_on_commit_callbacks):
    from qaryz.access.testing import make_client

    client = make_client(preferred_language="ru")
    app = SimpleNamespace(pk=999, client=client)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        status_notices.application_status(app, "declined")
        raise RuntimeError("rolled back")
    assert not Notification.objects.filter(client=client).exists()
    with django_capture_on_commit_callbacks(execute=True):
        status_notices.application_status(app, "declined")
        status_notices.application_status(app, "checks")  # not an event the client is told of
    note = Notification.objects.get(client=client)
    assert note.subject == "В заявке отказано" and "№ 999" in note.body


@pytest.mark.req("R-AUTH-6")
def test_a_failed_payout_is_announced_in_english(outbox, django_capture_on_commit_callbacks):
    from qaryz.access.testing import make_client

    client = make_client(preferred_language="en")
    loan = SimpleNamespace(pk=5, number="MK-5", client=client)
    with django_capture_on_commit_callbacks(execute=True):
        status_notices.payout_failed(loan, "po-5")
        status_notices.payout_failed(loan, "po-5")
    note = Notification.objects.get(client=client)
    assert note.subject == "Payout not made" and "MK-5" in note.body
    assert len(outbox(client.phone)) == 1


@pytest.mark.req("R-WEB-1", "R-AUTH-6")
def test_the_language_switch_sets_the_clients_preferred_language(client):
    from qaryz.access.testing import make_client, sign_in_client
    from qaryz.messaging.services import in_language

    person = make_client(preferred_language="ru")
    client.post("/i18n/setlang/", {"language": "kk", "next": "/"})  # not signed in: nobody's language
    person.refresh_from_db()
    assert person.preferred_language == "ru"
    sign_in_client(client, person)
    assert client.post("/i18n/setlang/", {"language": "kk", "next": "/cabinet/"}).status_code == 302
    person.refresh_from_db()
    assert person.preferred_language == "kk"
    client.post("/i18n/setlang/", {"language": "xx", "next": "/cabinet/"})
    person.refresh_from_db()
    assert person.preferred_language == "kk"
    from django.utils.translation import gettext

    assert in_language(person, gettext, "Payment received") == "Төлем түсті"


@pytest.mark.req("R-CAB-4")
def test_payment_notices_are_a_job_on_their_queue_after_commit(settings, django_capture_on_commit_callbacks):
    """Posting only queues the notices (a worker renders them in production); the job delivers
    each once in the client's language."""
    from django_tasks import task_backends

    from qaryz.access.testing import make_client
    from qaryz.messaging.tasks import deliver_payment_notices

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default", "notices"]}
    }
    settings.QARYZ_NOTICE_QUEUE = "notices"
    person = make_client(preferred_language="kk")
    loan = SimpleNamespace(client=person, pk=5, number="QZ-5")
    payment = SimpleNamespace(pk=31, amount=1_500_000, value_date=dt.date(2026, 12, 3))
    with django_capture_on_commit_callbacks(execute=True):
        status_notices.payments_received([(loan, payment)])
        assert not task_backends["default"].results  # nothing before the commit
    (queued,) = task_backends["default"].results
    assert queued.task.queue_name == "notices" and not Notification.objects.exists()
    assert deliver_payment_notices.call(*queued.args) == 1
    assert deliver_payment_notices.call(*queued.args) == 0  # a redelivered job notifies once
    note = Notification.objects.get(key="servicing.payment:31:posted")
    assert "QZ-5" in note.body and "03.12.2026" in note.body and note.subject != "Payment received"
