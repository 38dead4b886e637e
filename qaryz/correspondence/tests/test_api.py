"""Mobile API of the letters and the notifications (R-CAB-7, R-MOB-1, R-AUTH-6)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qaryz.access.services import issue_api_token
from qaryz.access.testing import make_client, make_staff
from qaryz.correspondence import services
from qaryz.correspondence.tests.factories import GIF, JPEG, PDF, letter
from qaryz.messaging.services import notify_client

pytestmark = [pytest.mark.django_db, pytest.mark.req("R-CAB-7", "R-MOB-1")]
API = "/api/v1/correspondence"


def _auth(person) -> dict:  # type: ignore[no-untyped-def]
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_api_token(person)[0]}"}


def test_the_app_writes_reads_and_replies(client):
    person = make_client()
    auth = _auth(person)
    topics = client.get(f"{API}/topics", HTTP_ACCEPT_LANGUAGE="kk", **auth).json()
    assert {"code": "complaint", "label": "Шағым"} in topics
    created = client.post(
        f"{API}/threads",
        {"subject": "Вопрос", "topic": "contract", "body": "Где мой договор?"},
        content_type="application/json",
        **auth,
    )
    assert created.status_code == 201
    thread = created.json()
    assert (
        thread["awaiting_answer"] is True
        and thread["answer_due"]
        and thread["messages"][0]["side"] == "client"
    )
    assert [t["id"] for t in client.get(f"{API}/threads", **auth).json()] == [thread["id"]]
    with_files = client.post(
        f"{API}/threads/{thread['id']}/attachments",
        {
            "files": [SimpleUploadedFile("photo.jpg", JPEG), SimpleUploadedFile("doc.pdf", PDF)],
            "body": "Сканы",
        },
        **auth,
    )
    assert with_files.status_code == 201, with_files.content
    files = with_files.json()["attachments"]
    assert [f["media_type"] for f in files] == ["image/jpeg", "application/pdf"]
    download = client.get(files[1]["url"], **auth)
    assert download.status_code == 200 and download.content == PDF
    services.staff_reply(
        services.Thread.objects.get(pk=thread["id"]), staff=make_staff("support"), body="Договор в кабинете"
    )
    detail = client.get(f"{API}/threads/{thread['id']}", **auth).json()
    assert detail["unread"] == 1 and detail["awaiting_answer"] is False
    assert (
        detail["messages"][-1]["body"] == "Договор в кабинете" and detail["messages"][-1]["side"] == "staff"
    )
    assert detail["messages"][0]["read_at"] is not None  # the MFO read the client's letter
    assert client.post(f"{API}/threads/{thread['id']}/read", **auth).json() == {"marked": 1}
    assert client.post(f"{API}/threads/{thread['id']}/read", **auth).json() == {"marked": 0}
    reply = client.post(
        f"{API}/threads/{thread['id']}/messages", {"body": "Спасибо"}, content_type="application/json", **auth
    )
    assert reply.status_code == 201 and reply.json()["side"] == "client"


def test_refusals_are_422_with_the_reason(client, settings):
    settings.LETTER_ATTACHMENT_MAX_BYTES = 100
    person = make_client()
    auth = _auth(person)
    thread = letter(person)
    bad_topic = client.post(
        f"{API}/threads",
        {"subject": "x", "topic": "lottery", "body": "y"},
        content_type="application/json",
        **auth,
    )
    assert bad_topic.status_code == 422 and bad_topic.json()["detail"].startswith("topic:")
    gif = client.post(
        f"{API}/threads/{thread.pk}/attachments",
        {"files": [SimpleUploadedFile("a.png", GIF)]},
        HTTP_ACCEPT_LANGUAGE="en",
        **auth,
    )
    assert gif.status_code == 422 and "not a PDF, JPEG or PNG" in gif.json()["detail"]
    big = client.post(
        f"{API}/threads/{thread.pk}/attachments",
        {"files": [SimpleUploadedFile("b.pdf", PDF)]},
        HTTP_ACCEPT_LANGUAGE="en",
        **auth,
    )
    assert big.status_code == 422 and "larger than" in big.json()["detail"]
    none = client.post(f"{API}/threads/{thread.pk}/attachments", {"body": "без файла"}, **auth)
    assert none.status_code == 422
    empty = client.post(
        f"{API}/threads/{thread.pk}/messages", {"body": " "}, content_type="application/json", **auth
    )
    assert empty.status_code == 422
    assert thread.messages.count() == 1


def test_another_clients_thread_is_not_found(client):
    owner = make_client()
    thread = letter(owner, attachments=[services.Upload("a.pdf", PDF)])
    attachment = thread.messages.get().attachments.get()
    auth = _auth(make_client())
    assert client.get(f"{API}/threads/{thread.pk}", **auth).status_code == 404
    assert client.get(f"{API}/threads/{thread.pk}/attachments/{attachment.pk}", **auth).status_code == 404
    assert client.post(f"{API}/threads/{thread.pk}/read", **auth).status_code == 404
    assert (
        client.post(
            f"{API}/threads/{thread.pk}/messages", {"body": "x"}, content_type="application/json", **auth
        ).status_code
        == 404
    )
    assert client.get(f"{API}/threads", **auth).json() == []
    assert client.get(f"{API}/threads").status_code == 401


@pytest.mark.req("R-AUTH-6")
def test_notifications_list_and_mark_read(client):
    from qaryz.messaging.models import Notification

    person, other = make_client(), make_client()
    auth = _auth(person)
    Notification.objects.filter(client=person).delete()  # the sign-in notice of the token
    first = notify_client(person, "Первое", "Текст 1", sms=False)
    notify_client(person, "Второе", "Текст 2", sms=False)
    foreign = notify_client(other, "Чужое", "Текст", sms=False)
    listing = client.get("/api/v1/messages/notifications", **auth).json()
    assert listing["unread"] == 2 and [n["subject"] for n in listing["items"]] == ["Второе", "Первое"]
    read = client.post(f"/api/v1/messages/notifications/{first.pk}/read", **auth)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    unread = client.get("/api/v1/messages/notifications?unread_only=true", **auth).json()
    assert unread["unread"] == 1 and [n["subject"] for n in unread["items"]] == ["Второе"]
    assert client.post(f"/api/v1/messages/notifications/{foreign.pk}/read", **auth).status_code == 404
    foreign.refresh_from_db()
    assert foreign.read_at is None
