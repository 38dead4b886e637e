from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import RequestFactory

from qaryz.records import chain
from qaryz.records.models import AuditChainHead, AuditEvent
from qaryz.records.selectors import verify_trail
from qaryz.records.services import record_event

pytestmark = pytest.mark.django_db


@pytest.mark.req("R-AUD-1")
def test_events_form_a_linear_hash_chain():
    events = [record_event("test.step", data={"n": i}) for i in range(5)]
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_hash == chain.GENESIS
    for before, after in zip(events, events[1:], strict=False):
        assert after.prev_hash == before.hash
        assert after.ts >= before.ts
    head = AuditChainHead.objects.get()
    assert (head.seq, head.hash) == (5, events[-1].hash)
    result = verify_trail()
    assert result.ok and result.checked == 5


@pytest.mark.req("R-AUD-1")
def test_hash_covers_every_field():
    event = record_event("client.updated", data={"changes": {"phone": ["a", "b"]}})
    row = AuditEvent.objects.get(pk=event.pk)
    values = [str(getattr(row, name)) for name in chain.FIELDS]
    assert chain.record_hash(row.prev_hash, values) == row.hash
    for index in range(len(values)):
        altered = list(values)
        altered[index] = altered[index] + "x"
        assert chain.record_hash(row.prev_hash, altered) != row.hash


@pytest.mark.req("R-AUD-1")
def test_actor_staff_client_system_and_request(staff_user, client_obj):
    staff = record_event("x", actor=staff_user)
    assert (staff.actor_type, staff.actor_id, staff.actor_label) == ("staff", str(staff_user.pk), "auditor")
    cl = record_event("x", actor=client_obj, target=client_obj)
    assert (cl.actor_type, cl.actor_id) == ("client", str(client_obj.pk))
    assert (cl.target_type, cl.target_id) == ("clients.client", str(client_obj.pk))
    assert "900101300123" not in cl.data + cl.actor_label  # no IIN spread in the trail
    system = record_event("x")
    assert (system.actor_type, system.channel) == ("system", "system")
    api = record_event("x", actor="api:partner-bank")
    assert (api.actor_type, api.actor_label) == ("api", "partner-bank")

    request = RequestFactory().post(
        "/api/v1/x", HTTP_USER_AGENT="Qaryz/1.0 (Android)", REMOTE_ADDR="10.1.2.3"
    )
    request.client = client_obj
    via_request = record_event("x", request=request)
    assert via_request.actor_type == "client"
    assert (via_request.ip, via_request.user_agent, via_request.channel) == (
        "10.1.2.3",
        "Qaryz/1.0 (Android)",
        "api",
    )
    request = RequestFactory().get("/records/")
    request.user = staff_user
    assert record_event("x", request=request).actor_type == "staff"
    assert verify_trail().ok


def test_unknown_category_refused():
    with pytest.raises(ValueError):
        record_event("x", category="misc")


def test_control_characters_cannot_forge_field_boundaries():
    event = record_event("a\x1fb\nc", data={"text": "x\x1fy"})
    assert "\x1f" not in event.action
    assert verify_trail().ok


@pytest.mark.req("R-AUD-1")
@pytest.mark.parametrize(
    "statement", ["UPDATE records_auditevent SET action = 'forged'", "DELETE FROM records_auditevent"]
)
def test_database_refuses_update_and_delete(statement):
    record_event("kept")
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert AuditEvent.objects.get().action == "kept"


@pytest.mark.req("R-AUD-1")
def test_orm_cannot_change_or_delete_an_event():
    event = record_event("kept")
    event.action = "changed"
    with pytest.raises(IntegrityError), transaction.atomic():
        event.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().action == "kept"


@pytest.mark.req("R-AUD-1")
@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_refuses_truncate():
    record_event("kept")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE records_auditevent")
    assert AuditEvent.objects.count() == 1


@pytest.mark.req("R-AUD-1")
def test_event_belongs_to_the_callers_transaction():
    record_event("before")
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event("rolled.back")
        raise RuntimeError("business failure")
    after = record_event("after")
    assert after.seq == 2
    assert list(AuditEvent.objects.order_by("seq").values_list("action", flat=True)) == ["before", "after"]
    assert verify_trail().ok


def test_head_is_rebuilt_from_the_trail_when_missing():
    record_event("one")
    AuditChainHead.objects.all().delete()
    second = record_event("two")
    assert second.seq == 2
    assert verify_trail().ok


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_trail_and_restores_the_triggers():
    from django.core.management import call_command

    from qaryz.records import append_only

    record_event("will.be.flushed")
    call_command("flush", interactive=False, verbosity=0)
    # Only what the flush itself re-creates (staff roles synced on post_migrate) is left.
    assert not AuditEvent.objects.filter(action="will.be.flushed").exists()
    assert append_only.installed(connection)
    record_event("after.flush")
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM records_auditevent")
