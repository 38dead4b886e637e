"""R-3P-1: contract and amendment PDFs are kept only in the records vault (docs/lending.md).

Before 0007 drops the ``pdf`` columns, every existing row must have a readable vault copy whose
bytes are the row's bytes: a row without one (no ``vault_document_id``, a missing or unreadable
object, other bytes) gets one stored now from the column. A row whose column bytes do not match its
own ``pdf_sha256`` stops the migration – nothing is dropped while a signed document cannot be
accounted for. The records services are used as they are (encryption, receipt, audit event): the
vault's own tables are not changed by this migration. Reverse: the columns are filled back from
the vault.
"""

import hashlib

from django.db import migrations


def _vault_copy_matches(vault_id: str, content: bytes) -> bool:
    from qaryz.records.models import StoredDocument
    from qaryz.records.services import DocumentIntegrityError, DocumentUnavailable, read_document

    if not vault_id:
        return False
    try:
        stored = StoredDocument.objects.filter(pk=vault_id).first()
        return stored is not None and read_document(stored) == content
    except (ValueError, DocumentIntegrityError, DocumentUnavailable, Exception):  # noqa: BLE001
        return False


def copy_to_vault(apps, schema_editor):
    from qaryz.records.services import store_document

    for model_name, kind in (("Contract", "loan_contract_draft"), ("ContractAmendment", "loan_amendment_draft")):
        model = apps.get_model("lending", model_name)
        for row in model.objects.all().iterator():
            content = bytes(row.pdf or b"")
            if hashlib.sha256(content).hexdigest() != row.pdf_sha256:
                raise RuntimeError(
                    f"lending.{model_name} {row.number}: the stored PDF does not match its SHA-256; "
                    "resolve it before the PDF column is dropped"
                )
            if _vault_copy_matches(row.vault_document_id, content):
                continue
            owner = (row.application if model_name == "Contract" else row.contract.application).client
            stored = store_document(
                content,
                media_type="application/pdf",
                kind=kind,
                direction="outbound",
                owner=owner,
                filename=f"{row.number}.pdf",
            )
            model.objects.filter(pk=row.pk).update(vault_document_id=str(stored.pk))


def copy_from_vault(apps, schema_editor):
    from qaryz.records.models import StoredDocument
    from qaryz.records.services import read_document

    for model_name in ("Contract", "ContractAmendment"):
        model = apps.get_model("lending", model_name)
        for row in model.objects.all().iterator():
            stored = StoredDocument.objects.get(pk=row.vault_document_id)
            model.objects.filter(pk=row.pk).update(pdf=read_document(stored))


class Migration(migrations.Migration):
    dependencies = [
        ("lending", "0005_penalty_labels"),
        ("records", "0003_auditchainhead_prev_hash"),
    ]

    operations = [migrations.RunPython(copy_to_vault, copy_from_vault)]
