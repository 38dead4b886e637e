"""Receipts for documents sent to / received from a client (R-RCPT-1).

A receipt is canonical JSON signed with the MFO's Ed25519 key. Anyone holding the MFO's public
key (``/api/v1/records/public-key``) can check it with ``manage.py verify_receipt`` or
``verify_receipt_json`` – no access to Qaryz needed.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from datetime import UTC
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qaryz.core.bulk import insert_rows
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
    values = receipt_values(
        [({f.attname: getattr(d, f.attname) for f in d._meta.concrete_fields}, o) for d, o in pairs]
    )
    receipts = [Receipt(**row) for row in values]
    insert_rows(receipts)
    for receipt, (document, _owner) in zip(receipts, pairs, strict=True):
        receipt.document = document
    return receipts


def receipt_values(pairs: list[tuple[dict[str, Any], Any]]) -> list[dict[str, Any]]:
    """The signed receipt rows (column values) of documents given as their column values, each
    with its owner: the canonical JSON payload and its Ed25519 signature by the MFO's key."""
    from qaryz.records.services import signing_key

    key = signing_key().private_key()
    key_id = crypto.public_key_id(key.public_key())
    issuer = {"name": settings.MFO_NAME}
    issued_at = timezone.now()
    times: dict[dt.datetime, str] = {}  # a batch's documents share their storage time
    rows = []
    for document, owner in pairs:
        created = document["created_at"]
        if created not in times:
            times[created] = _utc(created)
        receipt_id = uuid.uuid4()
        payload = crypto.canonical_json(
            {
                "type": RECEIPT_TYPE,
                "receipt_id": str(receipt_id),
                "document_id": str(document["id"]),
                "sha256": document["sha256"],
                "size": document["size"],
                "media_type": document["media_type"],
                "kind": document["kind"],
                "filename": document["filename"],
                "direction": document["direction"],
                "channel": document["channel"],
                "time": times[created],
                "counterparty": _counterparty(owner),
                "issuer": issuer,
                "key_id": key_id,
            }
        )
        rows.append(
            {
                "id": receipt_id,
                "document_id": document["id"],
                "owner_type": document["owner_type"],
                "owner_id": document["owner_id"],
                "payload": payload,
                "signature": crypto.sign(key, payload.encode()),
                "key_id": key_id,
                "issued_at": issued_at,
            }
        )
    return rows


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


def receipt_language(receipt: Receipt) -> str:
    """The language of the client the receipt is for (their interface language), else Russian."""
    if receipt.owner_type == "clients.client" and receipt.owner_id:
        from qaryz.clients.models import Client

        language = (
            Client.objects.filter(pk=receipt.owner_id).values_list("preferred_language", flat=True).first()
        )
        if language in ("ru", "kk", "en"):
            return language
    return "ru"


def _moment(utc_text: str, language: str) -> str:
    """The signed UTC time as the client reads it: local time in the language's format, and UTC."""
    moment = dt.datetime.fromisoformat(utc_text.replace("Z", "+00:00"))
    local = timezone.localtime(moment)
    shown = local.strftime("%d %b %Y %H:%M:%S" if language == "en" else "%d.%m.%Y %H:%M:%S")
    offset = local.strftime("%z")
    return _("%(local)s (UTC%(offset)s); UTC: %(utc)s") % {
        "local": shown,
        "offset": f"{offset[:3]}:{offset[3:]}",
        "utc": moment.astimezone(UTC).strftime(
            "%d.%m.%Y %H:%M:%S" if language != "en" else "%d %b %Y %H:%M:%S"
        ),
    }


def receipt_pdf(receipt: Receipt, *, language: str | None = None) -> bytes:
    """The same receipt as a PDF in the client's language (ru, kk, en): every field with its value
    in words (kind, direction, channel), the time in the language's format, the signature, and the
    signed JSON – printed and embedded as an attachment (receipt.json) so the PDF alone can be
    verified. The JSON keeps the codes: it is what was signed."""
    from fpdf import FPDF
    from fpdf.enums import WrapMode

    from qaryz.records import kinds

    def line(text: str, height: float = 6, wrap: WrapMode = WrapMode.WORD) -> None:
        pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT", wrapmode=wrap)

    language = language if language in ("ru", "kk", "en") else receipt_language(receipt)
    data = receipt_json(receipt)
    payload = data["receipt"]
    with translation.override(language):
        title = _("Receipt")
        counterparty = f"{payload['counterparty']['name']} {payload['counterparty']['id_number']}".strip()
        rows = [
            (_("Receipt number"), payload["receipt_id"]),
            (_("Document number"), payload["document_id"]),
            (_("Document"), kinds.kind_label(payload["kind"])),
            (_("File name"), payload["filename"] or "—"),
            (_("File type"), payload["media_type"]),
            (_("Size"), _("%(size)s bytes") % {"size": f"{payload['size']:,}".replace(",", " ")}),
            (_("SHA-256 checksum"), payload["sha256"]),
            (_("Direction"), kinds.direction_label(payload["direction"])),
            (_("Channel"), kinds.channel_label(payload["channel"])),
            (_("Time"), _moment(payload["time"], language)),
            (_("Client"), counterparty or "—"),
            (_("Issued by"), payload["issuer"]["name"]),
            (_("Key identifier"), payload["key_id"]),
        ]
        signed_heading = _("Signed data (canonical JSON, as signed; codes as stored):")
        signature_heading = _("Ed25519 signature (base64):")
        verify = _(
            "How to check: the file receipt.json is attached to this PDF. Anyone with the MFO's public "
            "key (%(url)s) can check it: python manage.py verify_receipt receipt.pdf --public-key mfo.pem"
        ) % {"url": "/api/v1/records/public-key"}
        attachment = _("Signed receipt")
    pdf = FPDF()
    pdf.set_title(f"{title} {payload['receipt_id']}")
    pdf.add_page()
    pdf.add_font("DejaVu", "", _dejavu_font())
    pdf.set_font("DejaVu", size=14)
    line(f"{payload['issuer']['name']}\n{title}", 8)
    pdf.set_font("DejaVu", size=10)
    for label, value in rows:
        line(f"{label}: {value}")
    pdf.ln(3)
    line(signed_heading, 5)
    line(crypto.canonical_json(payload), 5, WrapMode.CHAR)
    pdf.ln(2)
    line(signature_heading, 5)
    line(data["signature"], 5, WrapMode.CHAR)
    pdf.ln(2)
    line(verify, 5)
    pdf.embed_file(
        basename="receipt.json",
        bytes=json.dumps(data, ensure_ascii=False, indent=1).encode(),
        desc=str(attachment),
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
