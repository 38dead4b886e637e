"""R-3P-1: a restructuring agreement's PDF is kept only in the records vault, like the contract's
(lending 0006/0007); migration 0010 gave every existing row a vault copy before dropping the
column, and refuses rows whose bytes do not match their SHA-256."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from qaryz.lending.selectors import document_pdf
from qaryz.lending.tests.pdftext import pdf_text
from qaryz.records.models import StoredDocument
from qaryz.records.services import DocumentIntegrityError
from qaryz.servicing import restructuring
from qaryz.servicing.models import Restructuring
from qaryz.servicing.tests.test_restructuring import ON, _at, late_loan  # noqa: F401 - fixture

BEFORE = [("servicing", "0007_loan_suspension")]
AFTER = [("servicing", "0010_restructuring_vault_only")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _draft(loan) -> Restructuring:
    with _at(ON):
        return restructuring.propose_restructuring(loan, kind="new_term", term_months=18, on=ON)


@pytest.mark.req("R-3P-1")
@pytest.mark.django_db
def test_restructuring_pdf_is_only_in_the_vault_and_checked(late_loan):  # noqa: F811
    assert "pdf" not in {f.name for f in Restructuring._meta.get_fields()}
    draft = _draft(late_loan)
    pdf = document_pdf(draft)
    stored = StoredDocument.objects.get(pk=draft.vault_document_id)
    assert stored.kind == "loan_restructuring_draft" and stored.sha256 == draft.pdf_sha256
    assert hashlib.sha256(pdf).hexdigest() == draft.pdf_sha256
    assert draft.number in pdf_text(pdf)
    draft.pdf_sha256 = "0" * 64
    with pytest.raises(DocumentIntegrityError, match="SHA-256"):
        document_pdf(draft)


@pytest.mark.req("R-3P-1")
@pytest.mark.django_db(transaction=True)
def test_migration_0010_gives_every_row_a_vault_copy_before_the_column_is_dropped(late_loan):  # noqa: F811
    draft = _draft(late_loan)
    pdf = document_pdf(draft)
    first_copy = draft.vault_document_id
    try:
        old_apps = migrate(BEFORE)  # backwards: the column is filled again from the vault
        Old = old_apps.get_model("servicing", "Restructuring")
        assert bytes(Old.objects.get(pk=draft.pk).pdf) == pdf
        # A row from before vault copies, then one whose bytes do not match its hash.
        Old.objects.filter(pk=draft.pk).update(vault_document_id="", pdf=b"%PDF- altered")
        with pytest.raises(RuntimeError, match="does not match its SHA-256"):
            migrate(AFTER)
        Old.objects.filter(pk=draft.pk).update(pdf=pdf)
        migrate(AFTER)
    finally:
        # Every app's latest migration again: going back to 0007 also unapplied the migrations of
        # other branches (and rooms) that came after it; later tests need their tables.
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    draft.refresh_from_db()
    assert draft.vault_document_id and draft.vault_document_id != first_copy
    assert document_pdf(draft) == pdf
    with connection.cursor() as cursor:
        table = Restructuring._meta.db_table
        columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
    assert "pdf" not in columns
