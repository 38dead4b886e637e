"""R-3P-1: contract and amendment PDFs are kept only in the records vault, read by the stored
vault id and checked against the SHA-256 recorded on the document; the migration that dropped the
database column first gave every existing row a vault copy. The old template version still renders."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from qaryz.lending import contracts, selectors, services
from qaryz.lending.models import Contract
from qaryz.lending.tests.pdftext import pdf_text
from qaryz.lending.tests.test_contract import approved
from qaryz.records import storage
from qaryz.records.models import StoredDocument
from qaryz.records.services import DocumentIntegrityError

BEFORE = [("lending", "0005_penalty_labels")]
AFTER = [("lending", "0007_contract_pdf_vault_only")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.req("R-3P-1")
@pytest.mark.django_db
def test_contract_pdf_is_read_from_the_vault_and_checked(lending_setup):
    assert "pdf" not in {f.name for f in Contract._meta.get_fields()}  # no copy beside the vault
    contract = services.prepare_contract(approved(lending_setup))
    pdf = selectors.document_pdf(contract)
    assert pdf.startswith(b"%PDF-")
    stored = StoredDocument.objects.get(pk=contract.vault_document_id)
    assert stored.kind == "loan_contract_draft" and stored.sha256 == contract.pdf_sha256
    # The vault copy must be the document that was prepared (and signed): another hash is refused.
    contract.pdf_sha256 = "0" * 64
    with pytest.raises(DocumentIntegrityError, match="SHA-256"):
        selectors.document_pdf(contract)
    contract.refresh_from_db()
    contract.vault_document_id = "not-a-uuid"
    with pytest.raises(DocumentIntegrityError, match="missing"):
        selectors.document_pdf(contract)
    # An altered vault object fails the vault's own check.
    contract.refresh_from_db()
    blob = bytearray(storage.read_object(stored.storage_name))
    blob[-1] ^= 1
    storage.delete_object(stored.storage_name)
    storage.save_object(stored.storage_name, bytes(blob), created=stored.created_at)
    with pytest.raises(DocumentIntegrityError):
        selectors.document_pdf(contract)


@pytest.mark.django_db
def test_the_previous_template_version_still_renders(lending_setup):
    app = approved(lending_setup)
    pdf = contracts.render(app, number="QZ-OLD-1", language="ru", version="2026-11")
    assert "ДОГОВОР О ПРЕДОСТАВЛЕНИИ МИКРОКРЕДИТА № QZ-OLD-1" in pdf_text(pdf)


@pytest.mark.req("R-3P-1")
@pytest.mark.django_db(transaction=True)
def test_migration_gives_every_row_a_vault_copy_before_the_column_is_dropped(lending_setup):
    contract = services.prepare_contract(approved(lending_setup))
    pdf = selectors.document_pdf(contract)
    first_copy = contract.vault_document_id
    try:
        old_apps = migrate(BEFORE)  # backwards: the column is filled again from the vault
        OldContract = old_apps.get_model("lending", "Contract")
        assert bytes(OldContract.objects.get(pk=contract.pk).pdf) == pdf
        # A row as it was before vault copies existed, and one whose bytes do not match its hash.
        OldContract.objects.filter(pk=contract.pk).update(vault_document_id="", pdf=b"%PDF- altered")
        with pytest.raises(RuntimeError, match="does not match its SHA-256"):
            migrate(AFTER)
        OldContract.objects.filter(pk=contract.pk).update(pdf=pdf)
        migrate(AFTER)
    finally:
        # Every app's latest migration again: going back to 0005 also unapplied the later
        # migrations of the rooms that depend on lending (servicing, collections…).
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    contract.refresh_from_db()
    assert contract.vault_document_id and contract.vault_document_id != first_copy
    assert selectors.document_pdf(contract) == pdf
    with connection.cursor() as cursor:
        columns = [c.name for c in connection.introspection.get_table_description(cursor, "lending_contract")]
    assert "pdf" not in columns
