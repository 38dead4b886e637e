"""Letters between the client and the MFO (R-CAB-7): vault archive, refusals, read status,
deadline in working days, assignment, the client's notification of an answer."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from qaryz.access.testing import make_client, make_staff
from qaryz.correspondence import selectors, services
from qaryz.correspondence.models import Message, Side
from qaryz.correspondence.services import LetterError, Upload
from qaryz.correspondence.tests.factories import EXE, GIF, JPEG, PDF, PNG, letter
from qaryz.messaging.models import Notification
from qaryz.records.models import StoredDocument
from qaryz.records.services import read_document

pytestmark = [pytest.mark.django_db, pytest.mark.req("R-CAB-7")]


def _at(day: dt.date, hour: int = 11):  # type: ignore[no-untyped-def]
    return time_machine.travel(
        dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())
    )


def test_a_letter_is_archived_in_the_vault_with_its_files(audited):
    client = make_client()
    thread = letter(client, attachments=[Upload("счёт.pdf", PDF), Upload("photo.png", PNG)])
    message = thread.messages.get()
    docs = StoredDocument.objects.filter(reference=thread.reference).order_by("kind")
    assert [d.kind for d in docs] == ["correspondence.attachment"] * 2 + ["correspondence.message"]
    assert {d.owner_id for d in docs} == {str(client.pk)} and {d.direction for d in docs} == {"inbound"}
    text = read_document(StoredDocument.objects.get(pk=message.document_id)).decode()
    assert "Когда следующий платёж?" in text and "Subject: Вопрос о платеже" in text
    files = {a.filename: a for a in message.attachments.all()}
    assert files["счёт.pdf"].media_type == "application/pdf" and files["photo.png"].media_type == "image/png"
    assert read_document(StoredDocument.objects.get(pk=files["счёт.pdf"].document_id)) == PDF
    stored = StoredDocument.objects.get(pk=files["photo.png"].document_id)
    from qaryz.records import storage

    assert PNG not in storage.read_object(stored.storage_name)  # encrypted at rest
    assert "correspondence.thread_opened" in audited() and audited().count("document.stored") == 3
    from qaryz.records.models import Receipt

    assert Receipt.objects.filter(document__in=docs).count() == 3  # each with its signed receipt


@pytest.mark.parametrize(
    ("files", "words"),
    [
        ([Upload("virus.pdf", EXE)], "not a PDF, JPEG or PNG"),
        ([Upload("anim.png", GIF)], "not a PDF, JPEG or PNG"),
        ([Upload("empty.pdf", b"")], "is empty"),
        ([Upload(f"f{i}.pdf", PDF) for i in range(6)], "At most 5 files"),
    ],
)
def test_files_are_refused_by_their_bytes_and_number(files, words, settings):
    settings.LANGUAGE_CODE = "en"
    client = make_client()
    with pytest.raises(LetterError) as refused:
        letter(client, attachments=files)
    assert words in refused.value.message and refused.value.field == "attachments"
    assert not StoredDocument.objects.exists() and not Message.objects.exists()


def test_a_file_over_the_configured_limit_is_refused(settings):
    settings.LETTER_ATTACHMENT_MAX_BYTES = 1024
    client = make_client()
    with pytest.raises(LetterError) as refused:
        letter(client, attachments=[Upload("big.jpg", JPEG + b"\x00" * 1024)])
    assert "big.jpg" in refused.value.message
    assert letter(client, attachments=[Upload("small.jpg", JPEG)]).messages.get().attachments.count() == 1


def test_empty_text_unknown_topic_and_long_subject_are_refused():
    client = make_client()
    for fields, field in [
        ({"body": "  "}, "body"),
        ({"topic": "lottery"}, "topic"),
        ({"subject": "x" * 201}, "subject"),
    ]:
        with pytest.raises(LetterError) as refused:
            letter(client, **fields)
        assert refused.value.field == field


def test_read_status_per_side():
    client = make_client()
    support, compliance = make_staff("support"), make_staff("compliance")
    thread = letter(client)
    assert services.mark_read_by_staff(thread, compliance) == 0  # may read, does not answer: marks nothing
    assert thread.messages.get().read_at is None
    assert services.mark_read_by_staff(thread, support) == 1
    assert thread.messages.get().read_at is not None
    services.staff_reply(thread, staff=support, body="Следующий платёж 15 числа.")
    assert selectors.unread_for_client(client) == 1
    assert selectors.threads_of(client).get().unread == 1
    assert services.mark_read_by_client(client, thread) == 1
    assert services.mark_read_by_client(client, thread) == 0
    assert selectors.unread_for_client(client) == 0
    staff_message = thread.messages.get(side=Side.STAFF)
    assert staff_message.read_at is not None and staff_message.author == support


def test_a_client_cannot_write_in_or_mark_another_clients_thread():
    thread = letter(make_client())
    other = make_client()
    with pytest.raises(LetterError):
        services.client_reply(other, thread, body="чужое")
    with pytest.raises(LetterError):
        services.mark_read_by_client(other, thread)
    assert selectors.thread_of(other, thread.pk) is None


def test_the_reply_deadline_counts_working_days_over_nauryz(settings):
    settings.LETTER_REPLY_DAYS, settings.LETTER_REPLY_DAY_KIND = 3, "working"
    client = make_client()
    with _at(dt.date(2026, 3, 20)):  # Friday; 21–25 March are days off (Nauryz and its transfers)
        thread = letter(client)
    assert thread.reply_due == dt.date(2026, 3, 30) and thread.reply_rule == "3 working"
    settings.LETTER_REPLY_DAY_KIND = "calendar"
    with _at(dt.date(2026, 3, 20)):
        assert letter(client).reply_due == dt.date(2026, 3, 23)


def test_the_deadline_of_the_first_unanswered_letter_holds_until_the_answer(settings):
    settings.LETTER_REPLY_DAYS = 15
    client, support = make_client(), make_staff("support")
    with _at(dt.date(2026, 6, 1)):
        thread = letter(client)
    first_due = thread.reply_due
    with _at(dt.date(2026, 6, 10)):
        services.client_reply(client, thread, body="Напоминаю о вопросе")
    thread.refresh_from_db()
    assert thread.reply_due == first_due  # a reminder does not move the MFO's deadline
    with _at(dt.date(2026, 6, 30)):
        assert selectors.inbox("overdue", support, timezone.localdate()).get() == thread
        services.staff_reply(thread, staff=support, body="Ответ")
    thread.refresh_from_db()
    assert thread.reply_due is None and thread.waiting_since is None
    with _at(dt.date(2026, 7, 1)):
        services.client_reply(client, thread, body="Спасибо, ещё вопрос")
    thread.refresh_from_db()
    assert thread.reply_due > dt.date(2026, 7, 1)


def test_a_changed_setting_does_not_move_an_existing_deadline(settings):
    settings.LETTER_REPLY_DAYS = 15
    with _at(dt.date(2026, 6, 1)):
        thread = letter(make_client())
    due = thread.reply_due
    settings.LETTER_REPLY_DAYS = 1
    thread.refresh_from_db()
    assert thread.reply_due == due


def test_assignment_only_to_staff_who_may_answer(audited):
    thread = letter(make_client())
    support, other_support = make_staff("support"), make_staff("support")
    compliance, cash = make_staff("compliance"), make_staff("cash_desk")
    services.assign(thread, other_support, actor=support)
    thread.refresh_from_db()
    assert thread.assigned_to == other_support
    with pytest.raises(LetterError):
        services.assign(thread, compliance, actor=support)  # reads letters but does not answer
    with pytest.raises(LetterError):
        services.assign(thread, support, actor=cash)
    assert list(selectors.answerers()) == sorted([support, other_support], key=lambda u: u.username)
    assert selectors.inbox("mine", other_support, timezone.localdate()).get() == thread
    assert audited().count("correspondence.assigned") == 1


def test_the_first_answer_assigns_an_unassigned_thread():
    thread = letter(make_client())
    support = make_staff("support")
    services.staff_reply(thread, staff=support, body="Ответ")
    thread.refresh_from_db()
    assert thread.assigned_to == support


def test_only_staff_who_may_answer_reply():
    thread = letter(make_client())
    with pytest.raises(LetterError):
        services.staff_reply(thread, staff=make_staff("compliance"), body="Ответ")
    assert not thread.messages.filter(side=Side.STAFF).exists()


def test_the_answer_is_announced_in_the_clients_language_after_commit(
    outbox, django_capture_on_commit_callbacks
):
    client = make_client(preferred_language="kk")
    thread = letter(client, subject="Төлем туралы")
    with django_capture_on_commit_callbacks(execute=True):
        services.staff_reply(
            thread, staff=make_staff("support"), body="Жауап", attachments=[Upload("a.pdf", PDF)]
        )
    note = Notification.objects.get(client=client)
    assert note.subject == "МҚҰ сіздің хатыңызға жауап берді"
    assert "Төлем туралы" in note.body and "«Хаттар»" in note.body
    assert [m.text.startswith("МҚҰ сіздің хатыңызға жауап берді") for m in outbox(client.phone)] == [True]
    outbound = StoredDocument.objects.filter(reference=thread.reference, direction="outbound")
    assert sorted(outbound.values_list("kind", flat=True)) == [
        "correspondence.attachment",
        "correspondence.message",
    ]


def test_no_notification_when_the_answer_rolls_back(django_capture_on_commit_callbacks):
    from django.db import transaction

    client = make_client()
    thread = letter(client)
    staff = make_staff("support")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        services.staff_reply(thread, staff=staff, body="Ответ")
        raise RuntimeError("rolled back")
    assert not Notification.objects.filter(client=client).exists()
