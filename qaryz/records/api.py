"""Mobile / server API endpoints of the records room, mounted under /api/v1/records/.

The receipt endpoints authenticate the client with the access room's ``ClientBearer`` – the one
place records touches another room, and only at the HTTP edge (services never do).
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from qaryz.access.api_auth import ClientBearer
from qaryz.core.api_errors import not_found
from qaryz.records import crypto, selectors
from qaryz.records.services import record_event, signing_key
from qaryz.records.views import receipt_response

router = Router(tags=["records"])


class PublicKeyOut(Schema):
    algorithm: str
    key_id: str
    public_key_pem: str


class ReceiptOut(Schema):
    id: str
    document_id: str
    kind: str
    direction: str
    channel: str
    sha256: str
    time: str


@router.get("/public-key", auth=None, response=PublicKeyOut, summary="The MFO's Ed25519 public key")
def public_key(request: HttpRequest) -> dict[str, str]:
    """Anyone verifies receipts and audit checkpoints with this key (R-RCPT-1)."""
    key = signing_key().private_key().public_key()
    return {
        "algorithm": "Ed25519",
        "key_id": crypto.public_key_id(key),
        "public_key_pem": crypto.public_key_pem(key),
    }


@router.get("/receipts", auth=ClientBearer(), response=list[ReceiptOut], summary="The client's receipts")
def list_receipts(request: HttpRequest) -> list[dict[str, str]]:
    out = []
    for receipt in selectors.receipts_of(request.auth)[:500]:
        payload = json.loads(receipt.payload)
        out.append(
            {
                "id": str(receipt.pk),
                "document_id": payload["document_id"],
                "kind": payload["kind"],
                "direction": payload["direction"],
                "channel": payload["channel"],
                "sha256": payload["sha256"],
                "time": payload["time"],
            }
        )
    return out


@router.get(
    "/receipts/{receipt_id}.{fmt}", auth=ClientBearer(), summary="Download a signed receipt (json or pdf)"
)
def download_receipt(request: HttpRequest, receipt_id: str, fmt: str) -> HttpResponse:
    if fmt not in {"json", "pdf"}:
        raise not_found()
    receipt = selectors.receipt_for(request.auth, receipt_id)
    if receipt is None:
        raise not_found()
    record_event(
        "receipt.downloaded", actor=request.auth, target=receipt, request=request, data={"format": fmt}
    )
    return receipt_response(receipt, fmt)
