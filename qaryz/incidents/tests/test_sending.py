"""Sending incident notices by e-mail (R-INC-1, seed 001 §34): the system sends the notice,
records the time, the address and the message id, marks the authority informed; a failure is
shown on the card and sending again retries; a sent notice is never sent twice."""

from __future__ import annotations

import pytest
from django.utils.html import escape

from qaryz.access.testing import make_staff, sign_in_staff
from qaryz.incidents import selectors, services
from qaryz.messaging.models import EmbeddedMail, MailDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _outbox_file(settings, tmp_path):
    settings.MAIL_OUTBOX_FILE = str(tmp_path / "mail-outbox.log")


@pytest.fixture
def notice():
    incident = services.register_incident(kind="unauthorised_access", summary="Вход в АИС", actor="system")
    return services.prepare_notice(incident, recipient_kind="authority", language="ru", actor="system")


@pytest.mark.req("R-INC-1")
def test_send_records_time_recipient_and_message_id(notice):
    sent, delivery = services.send_notice(notice, to="incidents@ardfm.example.kz", actor="officer")
    assert sent.sent_at == delivery.created_at and sent.sent_to == "incidents@ardfm.example.kz"
    assert sent.message_id == delivery.message_id != "" and sent.sent_reference
    assert EmbeddedMail.objects.get().body == notice.body
    states = {t.code: t.state for t in selectors.tasks(sent.incident)}
    assert states["authority"] == "done"
    with pytest.raises(services.IncidentError):
        services.send_notice(sent, to="incidents@ardfm.example.kz", actor="officer")
    assert EmbeddedMail.objects.count() == 1


@pytest.mark.req("R-INC-1")
def test_a_failure_is_shown_and_retried_from_the_card(client, notice, settings):
    settings.AUTHORITY_EMAIL = "incidents@ardfm.example.kz"
    sign_in_staff(client, make_staff("security"))
    card = f"/backoffice/incidents/{notice.incident_id}/"
    page = client.get(card, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert 'value="incidents@ardfm.example.kz"' in page and "Отправить по электронной почте" in page
    url = f"{card}notices/{notice.pk}/mail/"
    failed = client.post(url, {"to": "incidents@ardfm.invalid"}, HTTP_ACCEPT_LANGUAGE="ru", follow=True)
    text = failed.content.decode()
    assert "Почтовый сервер не принял уведомление" in text and "no such domain" in text
    notice.refresh_from_db()
    assert notice.sent_at is None and MailDelivery.objects.get().status == "failed"
    retried = client.post(url, {"to": "incidents@ardfm.example.kz"}, HTTP_ACCEPT_LANGUAGE="ru", follow=True)
    notice.refresh_from_db()
    assert notice.sent_at is not None and escape(notice.message_id) in retried.content.decode()
    assert list(MailDelivery.objects.order_by("id").values_list("status", flat=True)) == ["failed", "sent"]
    assert client.post(url, {"to": "not an address"}, follow=True).status_code == 200  # a message, no 500
