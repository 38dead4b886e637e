"""Mobile / server API of the signatures room, mounted under /api/v1/signatures/ by qaryz.api.api.

The mobile app fetches the exact bytes to sign, signs them with the client's EDS (CMS, base64)
and submits the CMS; the server verifies against the stored bytes (R-ONB-4, R-SIGN-1, R-AUTH-5).
"""

from __future__ import annotations

import base64
import uuid
from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from qaryz.access.api_auth import ClientBearer
from qaryz.core.api_errors import not_found

from . import selectors, services
from .reasons import message_for

# Unconfirmed clients sign too: the registration EDS comes before confirmation (R-ONB-4).
router = Router(tags=["signatures"], auth=ClientBearer(allow_unconfirmed=True))

MAX_CMS_CHARS = 2 * 1024 * 1024


class SigningRequestOut(Schema):
    id: uuid.UUID
    purpose: str
    title: str
    status: str
    expires_at: datetime
    document_sha256: str
    payload_base64: str  # the exact bytes to sign, base64 (what NCALayer's createCAdESFromBase64 takes)
    xml_to_sign: str  # or: this XML document for NCALayer's signXml (the same bytes inside one element)


class SignatureSubmitIn(Schema):
    cms: str  # CMS/PKCS#7 signature, base64 (or PEM) as NCALayer returns it; or the signed XML of signXml


class SubmitOut(Schema):
    accepted: bool
    reason: str
    message: str
    verification_id: int
    signer_iin: str
    signer_name: str


def _own(request: HttpRequest, request_id: uuid.UUID):  # type: ignore[no-untyped-def]
    signing_request = selectors.signing_request_for_client(request_id, request.auth)  # type: ignore[attr-defined]
    if signing_request is None:
        raise not_found()
    return signing_request


@router.get("/requests/{request_id}", response=SigningRequestOut)
def get_request(request: HttpRequest, request_id: uuid.UUID) -> dict[str, object]:
    signing_request = _own(request, request_id)
    return {
        "id": signing_request.pk,
        "purpose": signing_request.purpose,
        "title": signing_request.title,
        "status": signing_request.status,
        "expires_at": signing_request.expires_at,
        "document_sha256": signing_request.document_sha256,
        "payload_base64": base64.b64encode(bytes(signing_request.payload)).decode("ascii"),
        "xml_to_sign": services.xml_to_sign(signing_request).decode("utf-8"),
    }


@router.post("/requests/{request_id}/submit", response={200: SubmitOut, 422: SubmitOut})
def submit(request: HttpRequest, request_id: uuid.UUID, body: SignatureSubmitIn) -> Status:
    signing_request = _own(request, request_id)
    if len(body.cms) > MAX_CMS_CHARS:
        raise HttpError(413, _("The signature is too large."))
    verification = services.submit_signature(
        signing_request,
        request.auth,  # type: ignore[attr-defined]
        body.cms,
        channel="api",
        request=request,
    )
    payload = {
        "accepted": verification.accepted,
        "reason": verification.reason,
        "message": "" if verification.accepted else message_for(verification.reason),
        "verification_id": verification.pk,
        "signer_iin": verification.signer_iin,
        "signer_name": verification.signer_name,
    }
    return Status(200 if verification.accepted else 422, payload)
