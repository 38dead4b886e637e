"""``core.bulk``: COPY inserts and one-statement updates give back exactly what the ORM would store."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from qaryz.access.testing import make_client
from qaryz.core.bulk import insert_new_rows, insert_rows, insert_values, update_rows
from qaryz.messaging.models import Notification
from qaryz.records.models import StoredDocument

pytestmark = [pytest.mark.django_db, pytest.mark.req("R-AUD-1", "R-RCPT-1")]

AWKWARD = "tab\there, new\nline, cr\r, back\\slash, \\N, кириллица, қазақша"


def _document(n: int, **extra) -> StoredDocument:
    return StoredDocument(
        kind="test",
        media_type="application/json",
        filename=f"{AWKWARD}-{n}",
        direction="outbound",
        size=n,
        sha256="0" * 64,
        storage_name=f"bulk-test/{uuid.uuid4().hex}",
        kek_id="k1",
        wrapped_key=bytes(range(256)) + b"\\\t\n",
        **extra,
    )


def test_insert_rows_round_trips_every_kind_of_value():
    moment = timezone.now()
    rows = [
        _document(1, created_at=moment, obligations_end=dt.date(2031, 2, 28), legal_hold=True),
        _document(2, created_at=moment),
    ]
    insert_rows(rows)
    for row in rows:
        stored = StoredDocument.objects.get(pk=row.pk)
        assert stored.filename == row.filename and AWKWARD in stored.filename
        assert bytes(stored.wrapped_key) == bytes(row.wrapped_key)
        assert stored.obligations_end == row.obligations_end
        assert stored.retention_until is None and stored.purged_at is None
        assert stored.legal_hold is row.legal_hold
        assert not row._state.adding


def test_insert_rows_draws_auto_ids_and_fills_auto_now_add():
    client = make_client()
    notes = [Notification(client=client, subject=f"s{n}", body=AWKWARD, key=f"bulk:{n}") for n in range(3)]
    insert_rows(notes)
    assert all(note.pk for note in notes) and len({note.pk for note in notes}) == 3
    for note in notes:
        stored = Notification.objects.get(pk=note.pk)
        assert stored.body == AWKWARD and stored.client_id == client.pk
        assert stored.created_at is not None


def test_insert_rows_keeps_the_database_constraints():
    from django.db import IntegrityError, transaction

    client = make_client()
    insert_rows([Notification(client=client, subject="a", body="b", key="bulk:same")])
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows([Notification(client=client, subject="a", body="b", key="bulk:same")])


def test_update_rows_writes_each_rows_own_values():
    client = make_client()
    notes = [Notification(client=client, subject=f"s{n}", body="b", key=f"upd:{n}") for n in range(3)]
    insert_rows(notes)
    read = timezone.now()
    notes[0].read_at, notes[0].body = read, AWKWARD
    notes[1].read_at, notes[1].body = None, "second"
    update_rows(notes[:2], ["read_at", "body"])
    first, second, third = (Notification.objects.get(pk=n.pk) for n in notes)
    assert (first.read_at, first.body) == (read, AWKWARD)
    assert (second.read_at, second.body) == (None, "second")
    assert (third.read_at, third.body) == (None, "b")


def test_insert_new_rows_skips_what_a_unique_constraint_holds():
    client = make_client()
    insert_new_rows([Notification(client=client, subject="first", body=AWKWARD, key="new:1")])
    insert_new_rows(
        [
            Notification(client=client, subject="again", body="b", key="new:1"),
            Notification(client=client, subject="second", body=AWKWARD, key="new:2"),
        ]
    )
    stored = {n.key: n for n in Notification.objects.filter(key__startswith="new:")}
    assert set(stored) == {"new:1", "new:2"}
    assert stored["new:1"].subject == "first" and stored["new:2"].body == AWKWARD
    assert stored["new:2"].created_at is not None


def _values(row: StoredDocument) -> dict:
    return {f.attname: getattr(row, f.attname) for f in StoredDocument._meta.concrete_fields}


def test_insert_values_round_trips_without_instances_and_keeps_given_times():
    moment = timezone.now() - dt.timedelta(days=3)  # an auto_now_add field keeps the value given
    rows = [
        _values(_document(1, created_at=moment, legal_hold=True)),
        _values(_document(2, created_at=moment)),
    ]
    rows[0]["obligations_end"] = dt.date(2031, 2, 28)
    insert_values(StoredDocument, rows)
    for row in rows:
        stored = StoredDocument.objects.get(pk=row["id"])
        assert stored.filename == row["filename"] and AWKWARD in stored.filename
        assert bytes(stored.wrapped_key) == bytes(row["wrapped_key"])
        assert stored.created_at == moment
        assert stored.obligations_end == row["obligations_end"] and stored.legal_hold is row["legal_hold"]


def test_insert_values_draws_omitted_ids_and_keeps_the_constraints():
    from django.db import IntegrityError, transaction

    client = make_client()
    now = timezone.now()
    rows = [
        {"client_id": client.pk, "subject": f"s{n}", "body": AWKWARD, "key": f"vals:{n}", "created_at": now}
        for n in range(2)
    ]
    insert_values(Notification, rows)
    assert sorted(Notification.objects.filter(key__startswith="vals:").values_list("key", flat=True)) == [
        "vals:0",
        "vals:1",
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_values(Notification, rows[:1])
