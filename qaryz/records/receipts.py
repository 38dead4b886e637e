"""Receipts for documents sent to / received from a client (R-RCPT-1).

A receipt is canonical JSON signed with the MFO's Ed25519 key. Anyone holding the MFO's public
key (``/api/v1/records/public-key``) can check it with ``manage.py verify_receipt`` or
``verify_receipt_json`` – no access to Qaryz needed.
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

from django.conf import settings
from django.utils import timezone

from qaryz.records import crypto
from qaryz.records.models import Receipt, StoredDocument

RECEIPT_TYPE = "qaryz.receipt.v1"


def _utc(moment) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _counterparty(owner: Any) -> dict[str, str]:
    return {
        "type": owner._meta.label_lower,
        "id": str(owner.pk),
        "name": str(getattr(owner, "display_name", "") or "")[:300],
        "id_number": str(getattr(owner, "iin", None) or getattr(owner, "bin", None) or ""),
    }


def issue_receipt(document: StoredDocument, owner: Any) -> Receipt:
    return issue_receipts([(document, owner)])[0]


def issue_receipts(pairs: list[tuple[StoredDocument, Any]]) -> list[Receipt]:
    """Signed receipts of stored documents, one INSERT for all (``pairs``: document, owner)."""
    from qaryz.records.services import signing_key

    key = signing_key().private_key()
    key_id = crypto.public_key_id(key.public_key())
    issuer = {"name": settings.MFO_NAME}
    receipts = []
    for document, owner in pairs:
        receipt = Receipt(document=document, owner_type=document.owner_type, owner_id=document.owner_id)
        receipt.issued_at = timezone.now()
        payload = {
            "type": RECEIPT_TYPE,
            "receipt_id": str(receipt.id),
            "document_id": str(document.id),
            "sha256": document.sha256,
            "size": document.size,
            "media_type": document.media_type,
            "kind": document.kind,
            "filename": document.filename,
            "direction": document.direction,
            "channel": document.channel,
            "time": _utc(document.created_at),
            "counterparty": _counterparty(owner),
            "issuer": issuer,
            "key_id": key_id,
        }
        receipt.payload = crypto.canonical_json(payload)
        receipt.key_id = key_id
        receipt.signature = crypto.sign(key, receipt.payload.encode())
        receipts.append(receipt)
    Receipt.objects.bulk_create(receipts)
    return receipts


def receipt_json(receipt: Receipt) -> dict[str, Any]:
    from qaryz.records.services import signing_key

    return {
        "receipt": json.loads(receipt.payload),
        "algorithm": "Ed25519",
        "signature": receipt.signature,
        "public_key": crypto.public_key_pem(signing_key().private_key().public_key()),
    }


def verify_receipt_json(text: str | bytes, public_key_pem: str) -> dict[str, Any]:
    """Check a receipt file against the MFO public key; returns its payload or raises ValueError."""
    data = json.loads(text)
    payload = data.get("receipt")
    if not isinstance(payload, dict) or payload.get("type") != RECEIPT_TYPE:
        raise ValueError("not a Qaryz receipt")
    key = crypto.load_public_key_pem(public_key_pem)
    if not crypto.verify_signature(
        key, crypto.canonical_json(payload).encode(), str(data.get("signature", ""))
    ):
        raise ValueError("receipt signature is not valid")
    return payload


def receipt_pdf(receipt: Receipt) -> bytes:
    """The same receipt as a PDF: every field, the signature, and the signed JSON embedded as an
    attachment (receipt.json) so the PDF alone can be verified."""
    from fpdf import FPDF
    from fpdf.enums import WrapMode

    def line(text: str, height: float = 6) -> None:
        pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT", wrapmode=WrapMode.CHAR)

    data = receipt_json(receipt)
    payload = data["receipt"]
    pdf = FPDF()
    pdf.set_title(f"Receipt {payload['receipt_id']}")
    pdf.add_page()
    pdf.add_font("DejaVu", "", _dejavu_font())
    pdf.set_font("DejaVu", size=14)
    line(f"{payload['issuer']['name']}\nReceipt / Квитанция / Түбіртек", 8)
    pdf.set_font("DejaVu", size=10)
    rows = [
        ("Receipt id", payload["receipt_id"]),
        ("Document id", payload["document_id"]),
        ("SHA-256", payload["sha256"]),
        ("Size, bytes", str(payload["size"])),
        ("Kind", payload["kind"]),
        ("Media type", payload["media_type"]),
        ("File name", payload["filename"] or "-"),
        ("Direction", payload["direction"]),
        ("Channel", payload["channel"]),
        ("Time (UTC)", payload["time"]),
        ("Counterparty", f"{payload['counterparty']['name']} {payload['counterparty']['id_number']}".strip()),
        ("Key id", payload["key_id"]),
    ]
    for label, value in rows:
        line(f"{label}: {value}")
    pdf.ln(3)
    line("Signed data (canonical JSON):\n" + crypto.canonical_json(payload), 5)
    pdf.ln(2)
    line(f"Ed25519 signature (base64):\n{data['signature']}", 5)
    pdf.ln(2)
    line("Verify: python manage.py verify_receipt receipt.pdf --public-key mfo.pem", 5)
    pdf.embed_file(
        basename="receipt.json",
        bytes=json.dumps(data, ensure_ascii=False, indent=1).encode(),
        desc="Signed receipt",
    )
    return bytes(pdf.output())


def _dejavu_font() -> str:
    for candidate in (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    ):
        from pathlib import Path

        if Path(candidate).exists():
            return candidate
    raise FileNotFoundError("DejaVuSans.ttf not found: install the fonts-dejavu-core package")
