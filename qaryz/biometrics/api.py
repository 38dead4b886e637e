"""Mobile API of the biometric check (mounted under /api/v1/biometrics/ by qaryz.api.api).

POST sessions                      {"purpose"} -> session (challenges, nonce, timeline)
POST sessions/{id}/frames          multipart: nonce, meta=[[step, t_ms], ...], frames=<jpeg>...
POST document                      multipart: card=<jpeg> (ID card photo: MRZ + face reference),
                                   issue_date=yyyy-mm-dd (printed on the card, not in the MRZ)
GET  verifications/{id}            the outcome
Errors are {"error", "reference", "detail"} like every API error.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import HttpError

from qaryz.access.api_auth import ClientBearer
from qaryz.core.api_errors import not_found

from . import services, views
from .models import Verification

# Unconfirmed clients verify too: biometrics is part of finishing registration (R-ONB-8).
# Recovery-scope tokens too: password recovery needs a fresh biometric check (R-AUTH-5).
router = Router(tags=["biometrics"], auth=ClientBearer(allow_unconfirmed=True, allow_recovery=True))


class StartIn(Schema):
    purpose: str


def _fail(exc: services.BiometricsError) -> HttpError:
    # Another client's (or no) session: 404, like every object the caller does not own.
    return HttpError(404 if exc.code == "not_found" else 400, f"{exc.code}: {exc.message}")


@router.post("/sessions")
def start_session(request: HttpRequest, payload: StartIn) -> dict[str, Any]:
    try:
        session = services.start_session(request.auth, payload.purpose, channel="api", request=request)
    except services.BiometricsError as exc:
        raise _fail(exc) from exc
    data = views.session_payload(session)
    data["frames_url"] = f"/api/v1/biometrics/sessions/{session.pk}/frames"
    data["prompts"] = views.prompts()
    return data


@router.post("/sessions/{session_id}/frames")
def submit_frames(request: HttpRequest, session_id: uuid.UUID) -> dict[str, Any]:
    try:
        verification = services.submit_frames(
            session_id,
            client=request.auth,
            nonce=request.POST.get("nonce", ""),
            frames=views.parse_frames(request),
            request=request,
        )
    except services.BiometricsError as exc:
        raise _fail(exc) from exc
    return views.verification_payload(verification)


@router.post("/document")
def upload_document(request: HttpRequest) -> dict[str, Any]:
    upload = request.FILES.get("card")
    if upload is None:
        raise HttpError(400, "card: " + _("Upload a photo of your identity card first."))
    try:
        issued = services.parse_issue_date(request.POST.get("issue_date"))
        ref = services.enrol_document(
            request.auth, upload.read(), issue_date=issued, channel="api", request=request
        )
    except services.BiometricsError as exc:
        raise _fail(exc) from exc
    mrz = ref.mrz
    return {
        "accepted": True,
        "document_number": mrz.get("document_number"),
        "expiry_date": mrz.get("expiry_date"),
        "issue_date": issued.isoformat(),
        "comparison": ref.comparison,
        # "issue_date_unusual": an ID card whose validity is not the usual term; accepted, staff check it
        "warnings": services.document_warnings(request.auth),
    }


@router.get("/verifications/{verification_id}")
def get_verification(request: HttpRequest, verification_id: uuid.UUID) -> dict[str, Any]:
    verification = Verification.objects.filter(pk=verification_id, client=request.auth).first()
    if verification is None:
        raise not_found()
    return views.verification_payload(verification)
