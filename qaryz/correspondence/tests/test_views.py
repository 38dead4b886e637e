"""Cabinet and back-office pages of the letters (R-CAB-7): a client sees only their own threads,
staff pages are gated by role, files go through the pages, read status and overdue are shown."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qaryz.access.testing import make_client, make_staff, sign_in_client, sign_in_staff
from qaryz.correspondence import services
from qaryz.correspondence.models import Message, Thread
from qaryz.correspondence.services import Upload
from qaryz.correspondence.tests.factories import EXE, PDF, PNG, letter

pytestmark = [pytest.mark.django_db, pytest.mark.req("R-CAB-7")]


def _ru(client) -> None:  # type: ignore[no-untyped-def]
    client.post("/i18n/setlang/", {"language": "ru", "next": "/"})


def test_a_client_writes_a_letter_with_a_file_and_sees_it_listed(client):
    person = make_client()
    sign_in_client(client, person)
    _ru(client)
    page = client.get("/messages/new/").content.decode()
    assert "Написать письмо" in page and "Погашение и задолженность" in page
    response = client.post(
        "/messages/new/",
        {
            "topic": "repayment",
            "subject": "Справка о задолженности",
            "body": "Прошу выдать справку.",
            "attachments": [SimpleUploadedFile("скан.pdf", PDF, content_type="application/pdf")],
        },
    )
    thread = Thread.objects.get(client=person)
    assert response.status_code == 302 and response["Location"] == f"/messages/{thread.pk}/"
    listing = client.get("/messages/").content.decode()
    assert "Справка о задолженности" in listing and "ожидает ответа до" in listing
    page = client.get(f"/messages/{thread.pk}/").content.decode()
    assert "Прошу выдать справку." in page and "скан.pdf" in page and "Ещё не прочитано" in page
    attachment = thread.messages.get().attachments.get()
    download = client.get(f"/messages/{thread.pk}/attachments/{attachment.pk}/")
    assert download.status_code == 200 and download.content == PDF
    assert download["Content-Type"] == "application/pdf" and download["Content-Disposition"].startswith(
        "attachment"
    )


def test_a_wrong_file_type_is_refused_on_the_form(client):
    person = make_client()
    sign_in_client(client, person)
    _ru(client)
    response = client.post(
        "/messages/new/",
        {
            "topic": "other",
            "subject": "Файл",
            "body": "См. вложение",
            "attachments": [SimpleUploadedFile("doc.pdf", EXE, content_type="application/pdf")],
        },
    )
    assert response.status_code == 200
    assert "не PDF, JPEG или PNG" in response.content.decode()
    assert not Thread.objects.exists()


def test_a_client_cannot_see_another_clients_thread(client):
    owner, intruder = make_client(), make_client()
    thread = letter(owner, attachments=[Upload("a.png", PNG)])
    attachment = thread.messages.get().attachments.get()
    sign_in_client(client, intruder)
    assert client.get(f"/messages/{thread.pk}/").status_code == 404
    assert client.get(f"/messages/{thread.pk}/attachments/{attachment.pk}/").status_code == 404
    assert client.post(f"/messages/{thread.pk}/reply/", {"body": "чужое"}).status_code == 404
    assert "Вопрос о платеже" not in client.get("/messages/").content.decode()
    assert thread.messages.count() == 1


def test_the_client_reads_the_answer_and_the_mfo_sees_it_was_read(client):
    person, support = make_client(), make_staff("support")
    thread = letter(person)
    services.staff_reply(thread, staff=support, body="Ответ МФО")
    sign_in_client(client, person)
    _ru(client)
    assert "1 новое" in client.get("/messages/").content.decode()
    page = client.get(f"/messages/{thread.pk}/").content.decode()
    assert "Ответ МФО" in page and "новое" in page
    assert Message.objects.get(side="staff").read_at is not None
    assert "новое" not in client.get("/messages/").content.decode()
    response = client.post(f"/messages/{thread.pk}/reply/", {"body": "Спасибо"})
    assert response.status_code == 302
    thread.refresh_from_db()
    assert thread.waiting_since is not None and thread.messages.count() == 3
    assert client.post(f"/messages/{thread.pk}/reply/", {"body": " "}).status_code == 200  # nothing to send


@pytest.mark.parametrize(
    ("role", "inbox", "reply"),
    [("support", 200, 302), ("compliance", 200, 403), ("cash_desk", 403, 403), ("administrator", 403, 403)],
)
def test_staff_pages_are_gated_by_role(client, role, inbox, reply):
    thread = letter(make_client())
    sign_in_staff(client, make_staff(role))
    assert client.get("/backoffice/letters/").status_code == inbox
    assert client.get(f"/backoffice/letters/{thread.pk}/").status_code == inbox
    assert client.post(f"/backoffice/letters/{thread.pk}/reply/", {"body": "Ответ"}).status_code == reply
    assert Message.objects.filter(side="staff").exists() == (reply == 302)


def test_the_inbox_filters_and_highlights_overdue(client, settings):
    support, colleague = make_staff("support"), make_staff("support")
    overdue = letter(make_client(), subject="Давнее письмо")
    Thread.objects.filter(pk=overdue.pk).update(reply_due=timezone.localdate() - dt.timedelta(days=1))
    fresh = letter(make_client(), subject="Новое письмо")
    services.assign(fresh, colleague, actor=support)
    answered = letter(make_client(), subject="Отвеченное письмо")
    services.staff_reply(answered, staff=support, body="Ответ")
    sign_in_staff(client, colleague)
    _ru(client)
    page = client.get("/backoffice/letters/").content.decode()
    assert "Давнее письмо" in page and "Новое письмо" in page and "Отвеченное письмо" not in page
    assert f'data-state="overdue" data-thread="{overdue.pk}" class="overdue"' in page and "Просрочено" in page
    assert "Без ответа: 2" in page and "Просрочено: 1" in page
    overdue_page = client.get("/backoffice/letters/?show=overdue").content.decode()
    assert "Давнее письмо" in overdue_page and "Новое письмо" not in overdue_page
    mine = client.get("/backoffice/letters/?show=mine").content.decode()
    assert "Новое письмо" in mine and "Давнее письмо" not in mine
    assert "Отвеченное письмо" in client.get("/backoffice/letters/?show=all").content.decode()


def test_staff_reply_with_a_file_and_assignment_through_the_pages(client):
    person, support, colleague = make_client(), make_staff("support"), make_staff("support")
    thread = letter(person)
    sign_in_staff(client, support)
    _ru(client)
    page = client.get(f"/backoffice/letters/{thread.pk}/").content.decode()
    assert "Когда следующий платёж?" in page and "Ответ клиенту" in page
    assert (
        client.post(f"/backoffice/letters/{thread.pk}/assign/", {"assignee": colleague.pk}).status_code == 302
    )
    thread.refresh_from_db()
    assert thread.assigned_to == colleague
    response = client.post(
        f"/backoffice/letters/{thread.pk}/reply/",
        {"body": "Направляем справку.", "attachments": [SimpleUploadedFile("spravka.pdf", PDF)]},
    )
    assert response.status_code == 302
    staff_message = thread.messages.get(side="staff")
    assert staff_message.attachments.get().filename == "spravka.pdf" and staff_message.author == support
    compliance = make_staff("compliance")
    sign_in_staff(client, compliance)
    assert (
        client.post(f"/backoffice/letters/{thread.pk}/assign/", {"assignee": compliance.pk}).status_code
        == 403
    )
    attachment = staff_message.attachments.get()
    assert client.get(f"/backoffice/letters/{thread.pk}/attachments/{attachment.pk}/").content == PDF


def test_staff_viewing_a_thread_is_a_security_event(client):
    from qaryz.records.models import AuditEvent

    thread = letter(make_client())
    staff = make_staff("compliance")
    sign_in_staff(client, staff)
    client.get(f"/backoffice/letters/{thread.pk}/")
    assert AuditEvent.objects.filter(action="staff.viewed_letter_thread", category="security").exists()
