"""The outgoing-mail port (issue 14: sending incident and regulator notices): the embedded mail
server keeps what it accepted and refuses undeliverable domains; the SMTP adapter goes through
Django's e-mail backend; every attempt is recorded with its time, recipient and message id or
error, and shown on the back office's outgoing-mail page."""

from __future__ import annotations

import smtplib

import pytest
from django.core import mail as django_mail

from qaryz.access.testing import make_staff, sign_in_staff
from qaryz.messaging import mail
from qaryz.messaging.models import EmbeddedMail, MailDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _outbox_file(settings, tmp_path):
    settings.MAIL_OUTBOX_FILE = str(tmp_path / "mail-outbox.log")
    settings.MAIL_FROM = "compliance@qaryz.kz"


@pytest.mark.req("R-INC-1", "R-REG-1")
def test_embedded_server_keeps_the_message_and_refuses_an_undeliverable_domain(settings, tmp_path):
    sent = mail.send_mail(
        "ardfm@example.kz", "Уведомление", "Текст", reference="incidents.notice:1", actor="u"
    )
    assert (
        sent.status == "sent" and sent.message_id.startswith("<") and sent.message_id.endswith("@qaryz.kz>")
    )
    kept = EmbeddedMail.objects.get()
    assert (kept.to, kept.subject, kept.message_id) == ("ardfm@example.kz", "Уведомление", sent.message_id)
    assert sent.message_id in (tmp_path / "mail-outbox.log").read_text(encoding="utf-8")
    failed = mail.send_mail("ardfm@nowhere.invalid", "Уведомление", "Текст", reference="x:1", actor="u")
    assert failed.status == "failed" and "no such domain" in failed.error and failed.message_id == ""
    assert EmbeddedMail.objects.count() == 1
    with pytest.raises(mail.MailAddressError):
        mail.send_mail("not an address", "s", "b", reference="x:1", actor="u")
    assert MailDelivery.objects.count() == 2


def test_smtp_adapter_sends_through_the_django_backend(settings):
    settings.MAIL_GATEWAY = "qaryz.messaging.adapters.mail.SmtpMailGateway"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sent = mail.send_mail("ardfm@example.kz", "Уведомление", "Текст", reference="x:2", actor="u")
    assert sent.status == "sent" and sent.adapter == "smtp"
    [message] = django_mail.outbox
    assert message.to == ["ardfm@example.kz"] and message.extra_headers["Message-ID"] == sent.message_id
    assert message.from_email == "compliance@qaryz.kz"


class RefusingBackend:
    def __init__(self, **kwargs):
        pass

    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused({"ardfm@example.kz": (550, b"mailbox unavailable")})


def test_smtp_failure_is_recorded_not_raised(settings):
    settings.MAIL_GATEWAY = "qaryz.messaging.adapters.mail.SmtpMailGateway"
    settings.EMAIL_BACKEND = "qaryz.messaging.tests.test_mail.RefusingBackend"
    failed = mail.send_mail("ardfm@example.kz", "s", "b", reference="x:3", actor="u")
    assert failed.status == "failed" and "mailbox unavailable" in failed.error


def test_the_outgoing_mail_page_shows_failures(client):
    mail.send_mail("ardfm@example.kz", "Уведомление REG-1", "Текст", reference="x:4", actor="u")
    mail.send_mail("ardfm@nowhere.invalid", "Уведомление REG-2", "Текст", reference="x:5", actor="u")
    sign_in_staff(client, make_staff("security"))
    page = client.get("/backoffice/mail-outbox/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Уведомление REG-1" in page and "Отправлено" in page
    assert "Не доставлено" in page and "no such domain" in page
    sign_in_staff(client, make_staff("support"))
    assert client.get("/backoffice/mail-outbox/").status_code == 403
