"""The signatures room's only calls into the records room (vault and audit trail, R-ARCH-1, R-AUD-1).

Kept in one place so that the records interface (``store_document``, ``record_event``) is wired
once: every accepted signature leaves four vault documents (the exact signed bytes, the CMS as
received, the verification result, the OCSP response) and every submission an audit event.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from .xmldsig import looks_like_xml

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import SignatureVerification, SigningRequest

logger = logging.getLogger("qaryz.signatures")


def _records() -> Any:
    from qaryz.records import services as records_services

    return records_services


def archive_accepted(
    verification: SignatureVerification, signing_request: SigningRequest, channel: str
) -> dict[str, str]:
    """Store the signed artefacts in the vault; returns their document ids by role."""
    records = _records()
    client = signing_request.client
    stem = f"eds-{signing_request.pk}"
    artefacts: list[tuple[str, bytes, str, str, str]] = [
        (
            "signed_content",
            bytes(signing_request.payload),
            "application/json",
            "eds_signed_content",
            "outbound",
        ),
        (
            "signature",
            bytes(verification.signature),
            # NCALayer's signXml output is kept as the signed XML document itself
            "application/xml"
            if looks_like_xml(bytes(verification.signature))
            else "application/pkcs7-signature",
            "eds_signature",
            "inbound",
        ),
        (
            "verification",
            json.dumps(verification.result, ensure_ascii=False, sort_keys=True, indent=1).encode(),
            "application/json",
            "eds_verification",
            "internal",
        ),
    ]
    if verification.ocsp_response:
        artefacts.append(
            (
                "ocsp_response",
                bytes(verification.ocsp_response),
                "application/ocsp-response",
                "eds_ocsp_response",
                "internal",
            )
        )
    ids: dict[str, str] = {}
    for role, content, media_type, kind, direction in artefacts:
        extension = {
            "application/json": "json",
            "application/pkcs7-signature": "p7s",
            "application/xml": "xml",
        }.get(media_type, "der")
        document = records.store_document(
            content,
            media_type=media_type,
            kind=kind,
            direction=direction,
            owner=client,
            filename=f"{stem}-{role}.{extension}",
            channel=channel,
            reference=f"signatures.signingrequest:{signing_request.pk}",
        )
        ids[role] = str(document.pk)
    return ids


def audit(
    action: str,
    *,
    client: object,
    target: object,
    data: dict[str, object],
    category: str = "business",
    request: HttpRequest | None = None,
) -> None:
    _records().record_event(
        action, category=category, actor=client, target=target, data=data, request=request
    )
