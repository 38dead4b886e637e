"""R-3P-1: a restructuring agreement's PDF is kept only in the records vault, as the contract's and
the amendment's are since lending 0006/0007 (docs/servicing.md).

Before the ``pdf`` column is dropped every existing row must have a readable vault copy whose bytes
are the row's bytes. A row without one (no ``vault_document_id``, a missing or unreadable object,
other bytes) gets one stored now from the column, through the records services (encryption,
receipt, audit event). A row whose column bytes do not match its own ``pdf_sha256`` stops the
migration: nothing is dropped while a signed document cannot be accounted for. The column gets an
empty default before it goes so that migrating backwards can re-add it to existing rows; the
reverse of the data step then fills it back from the vault.

Numbered 0010 to leave 0008/0009 to the servicing work running beside this change; the lead's
merge migration joins them.
"""

import hashlib

from django.db import migrations, models


def _vault_copy_matches(vault_id: str, content: bytes) -> bool:
    from qaryz.records.models import StoredDocument
    from qaryz.records.services import read_document

    if not vault_id:
        return False
    try:
        stored = StoredDocument.objects.filter(pk=vault_id).first()
        return stored is not None and read_document(stored) == content
    except Exception:  # noqa: BLE001 - unreadable for any reason: store a fresh copy
        return False


def copy_to_vault(apps, schema_editor):
    from qaryz.clients.models import Client
    from qaryz.records.services import store_document

    Restructuring = apps.get_model("servicing", "Restructuring")
    for row in Restructuring.objects.select_related("loan").iterator():
        content = bytes(row.pdf or b"")
        if hashlib.sha256(content).hexdigest() != row.pdf_sha256:
            raise RuntimeError(
                f"servicing.Restructuring {row.number}: the stored PDF does not match its SHA-256; "
                "resolve it before the PDF column is dropped"
            )
        if _vault_copy_matches(row.vault_document_id, content):
            continue
        stored = store_document(
            content,
            media_type="application/pdf",
            kind="loan_restructuring_draft",
            direction="outbound",
            owner=Client.objects.get(pk=row.loan.client_id),
            filename=f"{row.number}.pdf",
            channel="servicing",
        )
        Restructuring.objects.filter(pk=row.pk).update(vault_document_id=str(stored.pk))


def copy_from_vault(apps, schema_editor):
    from qaryz.records.models import StoredDocument
    from qaryz.records.services import read_document

    Restructuring = apps.get_model("servicing", "Restructuring")
    for row in Restructuring.objects.iterator():
        stored = StoredDocument.objects.get(pk=row.vault_document_id)
        Restructuring.objects.filter(pk=row.pk).update(pdf=read_document(stored))


class Migration(migrations.Migration):
    dependencies = [
        ("servicing", "0007_loan_suspension"),
        ("records", "0003_auditchainhead_prev_hash"),
        ("clients", "0004_client_consent"),
    ]

    operations = [
        migrations.RunPython(copy_to_vault, copy_from_vault),
        migrations.AlterField(model_name="restructuring", name="pdf", field=models.BinaryField(default=b"")),
        migrations.RemoveField(model_name="restructuring", name="pdf"),
    ]
