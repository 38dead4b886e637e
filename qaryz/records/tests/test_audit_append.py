"""The fast append path: on PostgreSQL the hash is computed by the database in one statement, so it
must equal the canonical Python form for any text (R-AUD-1)."""

from __future__ import annotations

import json

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.test import RequestFactory

from qaryz.records import chain
from qaryz.records.models import AuditChainHead, AuditEvent
from qaryz.records.selectors import verify_trail
from qaryz.records.services import record_event

pytestmark = pytest.mark.django_db
AWKWARD = "Қазақ тілі — Ivanova «ТОО» 'quote' \"dq\" \\ % %s %(x)s ∑ 🧾 ǅ \u00a0 end"


@pytest.mark.req("R-AUD-1")
def test_stored_hash_is_the_canonical_form_for_any_text():
    request = RequestFactory().get("/api/v1/x", HTTP_USER_AGENT=AWKWARD, REMOTE_ADDR="2001:db8::1")
    events = [
        record_event(AWKWARD, data={"text": AWKWARD, "n": 1, "nested": {"ü": [AWKWARD]}}),
        record_event("x", actor=f"api:{AWKWARD}", request=request, data={AWKWARD: None}),
        record_event("empty"),
    ]
    rows = list(AuditEvent.objects.order_by("seq"))
    assert [r.seq for r in rows] == [1, 2, 3]
    prev = chain.GENESIS
    for event, row in zip(events, rows, strict=True):
        values = [str(getattr(row, name)) for name in chain.FIELDS]
        assert row.prev_hash == prev
        assert chain.record_hash(prev, values) == row.hash == event.hash
        assert (event.seq, event.ts, event.data, event.user_agent) == (
            row.seq,
            row.ts,
            row.data,
            row.user_agent,
        )
        prev = row.hash
    assert rows[0].action == AWKWARD[:100] and json.loads(rows[0].data)["text"] == AWKWARD
    assert rows[1].user_agent == AWKWARD and rows[1].ip == "2001:db8::1"
    head = AuditChainHead.objects.get()
    assert (head.seq, head.hash, head.ts) == (3, rows[-1].hash, rows[-1].ts)
    assert verify_trail().ok


@pytest.mark.req("R-AUD-1")
def test_time_never_goes_backwards_even_if_the_clock_does(monkeypatch):
    first = record_event("one")
    from qaryz.records import services

    monkeypatch.setattr(services.time, "time_ns", lambda: (first.ts - 5_000_000) * 1000)
    second = record_event("two")
    assert second.ts == first.ts
    assert verify_trail().ok


@pytest.mark.req("R-AUD-1")
def test_works_without_prepared_statements(settings):
    settings.RECORDS_AUDIT_PREPARE = False
    events = [record_event("unprepared", data={"i": i}) for i in range(3)]
    assert [e.seq for e in events] == [1, 2, 3]
    assert verify_trail().ok


def test_refused_in_a_broken_transaction():
    record_event("ok")
    with transaction.atomic():
        with pytest.raises(IntegrityError), transaction.atomic(savepoint=False), connection.cursor() as cur:
            cur.execute(
                "INSERT INTO records_auditchainhead (id, seq, hash, ts, prev_hash) VALUES (2, 0, '', 0, '')"
            )
        with pytest.raises(TransactionManagementError):
            record_event("after.error")
        transaction.set_rollback(True)
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["ok"]


@pytest.mark.req("R-AUD-1")
def test_many_appends_in_one_transaction_stay_linear():
    with transaction.atomic():
        events = [record_event("batch", data={"i": i}) for i in range(200)]
    assert [e.seq for e in events] == list(range(1, 201))
    assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:], strict=False))
    result = verify_trail()
    assert result.ok and result.checked == 200


@pytest.mark.req("R-AUD-1")
def test_verification_reads_ahead_across_batches():
    from qaryz.records import selectors

    for i in range(10):
        record_event("step", data={"i": i})
    connection.ensure_connection()
    result = chain.verify_rows(selectors._rows(batch=3))
    assert result.ok and result.checked == 10 and result.last_seq == 10


def test_read_ahead_raises_reader_errors_and_stops_early():
    import threading

    from qaryz.records.selectors import _prefetched

    def failing():
        yield [(1,), (2,)]
        raise OSError("connection lost")

    with pytest.raises(OSError, match="connection lost"):
        list(_prefetched(failing()))

    produced = []

    def endless():
        n = 0
        while True:
            produced.append(n)
            yield [(n,)]
            n += 1

    rows = _prefetched(endless())
    assert [next(rows) for _ in range(3)] == [(0,), (1,), (2,)]
    rows.close()  # the verifier stops at the first break: the reader must end, not hang
    assert not any(t.name == "records-verify-reader" for t in threading.enumerate())
    assert len(produced) <= 3 + 2 + 2  # read ahead at most the queue depth (+ the one in hand)


@pytest.mark.req("R-AUD-1")
def test_events_appended_together_chain_like_single_ones():
    """``record_events`` (one lock, one INSERT) continues the same chain as ``record_event``."""
    from qaryz.records.services import record_events

    record_event("before")
    batch = record_events([{"action": "one", "data": {"t": AWKWARD}}, {"action": "two"}, {"action": "three"}])
    record_event("after")
    rows = list(AuditEvent.objects.order_by("seq"))
    assert [r.action for r in rows] == ["before", "one", "two", "three", "after"]
    assert [e.seq for e in batch] == [2, 3, 4]
    assert [e.hash for e in batch] == [r.hash for r in rows[1:4]]
    result = verify_trail()
    assert result.first_break is None and result.checked == 5
