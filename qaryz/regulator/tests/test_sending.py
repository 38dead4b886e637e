"""Sending the notice to the authority by e-mail (R-REG-1..2): the Russian and Kazakh texts in one
message; sent today with the address and the message id as the outgoing reference, which starts
the 10 working days; a failure is shown and retried."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django.utils.html import escape

from qaryz.access.testing import make_staff, sign_in_staff
from qaryz.core import workdays
from qaryz.messaging.models import EmbeddedMail, MailDelivery
from qaryz.regulator import services
from qaryz.regulator.models import Channel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _outbox_file(settings, tmp_path):
    settings.MAIL_OUTBOX_FILE = str(tmp_path / "mail-outbox.log")


@pytest.fixture
def notice():
    app = services.save_channel(
        Channel(
            kind="mobile_app",
            name="Qaryz Mobile",
            address="Google Play: kz.qaryz.app",
            security_procedures="Порядок обеспечения безопасности, протокол № 31",
        ),
        ["registration", "application"],
        actor="system",
    )
    today = timezone.localdate()
    found, _ = services.prepare_notice(app, effective_on=workdays.add_working_days(today, 12), actor="system")
    return found


@pytest.mark.req("R-REG-1")
def test_send_records_the_sending_and_starts_the_countdown(notice):
    sent, delivery = services.send_notice(notice, to="reg@ardfm.example.kz", actor="officer")
    today = timezone.localdate()
    assert sent.sent_on == today and sent.sent_to == "reg@ardfm.example.kz"
    assert sent.sent_reference == sent.message_id == delivery.message_id and sent.sent_at
    assert services.earliest_effect(sent) == max(sent.effective_on, workdays.add_working_days(today, 10))
    kept = EmbeddedMail.objects.get()
    assert notice.text_ru in kept.body and notice.text_kk in kept.body and "Qaryz Mobile" in kept.subject
    with pytest.raises(services.RegulatorError):
        services.send_notice(sent, to="reg@ardfm.example.kz", actor="officer")


@pytest.mark.req("R-REG-1")
def test_a_failure_is_shown_and_retried_from_the_page(client, notice):
    sign_in_staff(client, make_staff("security"))
    url = f"/backoffice/regulator/{notice.channel_id}/notices/{notice.pk}/mail/"
    failed = client.post(url, {"to": "reg@ardfm.invalid"}, HTTP_ACCEPT_LANGUAGE="kk")
    assert failed.status_code == 400
    text = failed.content.decode()
    assert "Пошта сервері хабарламаны қабылдамады" in text and "no such domain" in text
    notice.refresh_from_db()
    assert notice.sent_on is None
    done = client.post(url, {"to": "reg@ardfm.example.kz"}, follow=True)
    notice.refresh_from_db()
    assert notice.sent_on is not None and escape(notice.message_id) in done.content.decode()
    assert list(MailDelivery.objects.order_by("id").values_list("status", flat=True)) == ["failed", "sent"]
    sign_in_staff(client, make_staff("support"))
    assert client.post(url, {"to": "reg@ardfm.example.kz"}).status_code == 403
