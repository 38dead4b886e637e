from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core.management import call_command

from qaryz.records.models import AuditEvent, StoredDocument
from qaryz.records.services import (
    DocumentUnavailable,
    read_document,
    set_legal_hold,
    set_obligations_end,
    store_document,
)
from qaryz.records.storage import vault_storage
from qaryz.records.tasks import purge_expired_documents_task

pytestmark = pytest.mark.django_db


def _doc(reference: str = "lending.contract:1", owner=None) -> StoredDocument:
    return store_document(
        b"contract",
        media_type="application/pdf",
        kind="contract",
        direction="outbound",
        owner=owner,
        reference=reference,
    )


@pytest.mark.req("R-ARCH-1")
def test_retention_is_obligations_end_plus_five_years():
    doc = _doc()
    assert set_obligations_end("lending.contract:1", date(2027, 3, 15)) == 1
    doc.refresh_from_db()
    assert (doc.obligations_end, doc.retention_until) == (date(2027, 3, 15), date(2032, 3, 15))
    # A leap day ends on 28 February five years later.
    set_obligations_end(doc, date(2028, 2, 29))
    doc.refresh_from_db()
    assert doc.retention_until == date(2033, 2, 28)


@pytest.mark.req("R-ARCH-1")
def test_configured_retention_never_below_five_years(settings):
    settings.RECORDS_RETENTION_YEARS = 2
    doc = _doc()
    set_obligations_end("lending.contract:1", date(2027, 1, 1))
    doc.refresh_from_db()
    assert doc.retention_until == date(2032, 1, 1)
    settings.RECORDS_RETENTION_YEARS = 7
    set_obligations_end("lending.contract:1", date(2027, 6, 1))
    doc.refresh_from_db()
    assert doc.retention_until == date(2034, 6, 1)


def test_earlier_end_never_shortens_and_none_reopens():
    doc = _doc()
    set_obligations_end("lending.contract:1", date(2028, 1, 1))
    set_obligations_end("lending.contract:1", date(2027, 1, 1))
    doc.refresh_from_db()
    assert doc.retention_until == date(2033, 1, 1)
    set_obligations_end("lending.contract:1", None)
    doc.refresh_from_db()
    assert doc.retention_until is None


def test_owner_level_end_covers_the_clients_documents(client_obj):
    mine = _doc(reference="", owner=client_obj)
    other = _doc(reference="")
    assert set_obligations_end(client_obj, date(2027, 1, 1)) == 1
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.retention_until == date(2032, 1, 1) and other.retention_until is None


@pytest.mark.req("R-ARCH-1")
def test_daily_job_deletes_expired_documents_except_legal_hold():
    expired = _doc("lending.contract:1")
    held = _doc("lending.contract:2")
    running = _doc("lending.contract:3")
    set_obligations_end("lending.contract:1", date(2027, 1, 1))
    set_obligations_end("lending.contract:2", date(2027, 1, 1))
    set_legal_hold("lending.contract:2", True, reason="court case 12-345")

    with time_machine.travel(date(2031, 12, 31)):
        assert purge_expired_documents_task.enqueue().return_value == 0
    assert read_document(expired) == b"contract"

    with time_machine.travel(date(2032, 1, 2)):
        call_command("purge_expired_documents")
    expired.refresh_from_db()
    assert expired.purged_at is not None
    assert not vault_storage().exists(expired.storage_name)
    with pytest.raises(DocumentUnavailable):
        read_document(expired)
    assert read_document(StoredDocument.objects.get(pk=held.pk)) == b"contract"
    assert read_document(StoredDocument.objects.get(pk=running.pk)) == b"contract"
    events = AuditEvent.objects.filter(action="document.purged")
    assert [e.target_id for e in events] == [str(expired.pk)]

    set_legal_hold("lending.contract:2", False)
    with time_machine.travel(date(2032, 1, 3)):
        assert purge_expired_documents_task.enqueue().return_value == 1
    assert AuditEvent.objects.filter(action="document.purged").count() == 2
    assert StoredDocument.objects.get(pk=running.pk).purged_at is None
