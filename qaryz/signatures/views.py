"""EDS signing page: shows what is being signed, signs through NCALayer (or the demo signer)."""

from __future__ import annotations

import base64

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from qaryz.access.decorators import client_required
from qaryz.core.middleware import error_response

from . import selectors, services
from .models import SignatureVerification, SigningRequest
from .reasons import message_for

MAX_CMS_CHARS = 2 * 1024 * 1024


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _own_request(request: HttpRequest, request_id: str) -> SigningRequest | None:
    """The client's own request; None (answered 404) for anyone else's."""
    return selectors.signing_request_for_client(request_id, request.client)  # type: ignore[attr-defined]


def _after_submit(
    request: HttpRequest, signing_request: SigningRequest, verification: SignatureVerification
) -> HttpResponse:
    if verification.accepted:
        messages.success(request, _("Document signed with your EDS."))
        target = _safe_next(request)
        if target:
            return HttpResponseRedirect(target)
        return HttpResponseRedirect(request.path.replace("/demo/", "/"))
    messages.error(request, message_for(verification.reason))
    return _render(request, signing_request, status=400)


def _render(request: HttpRequest, signing_request: SigningRequest, *, status: int = 200) -> HttpResponse:
    payload = bytes(signing_request.payload)
    document_text = ""
    if signing_request.document_media_type.startswith(("text/", "application/json")):
        try:
            document_text = bytes(signing_request.document).decode("utf-8")
        except UnicodeDecodeError:
            document_text = ""
    context = {
        "signing_request": signing_request,
        "payload_text": payload.decode("utf-8"),
        "payload_b64": base64.b64encode(payload).decode("ascii"),
        "document_text": document_text,
        "expired": timezone.now() > signing_request.expires_at,
        "accepted": selectors.accepted_signature(signing_request),
        "demo_signer": settings.DEMO_MODE,
        "next": _safe_next(request),
    }
    return render(request, "signatures/sign.html", context, status=status)


@client_required(allow_unconfirmed=True)
@require_http_methods(["GET", "POST"])
def sign(request: HttpRequest, request_id: str) -> HttpResponse:
    signing_request = _own_request(request, request_id)
    if signing_request is None:
        # A response, not Http404: the error middleware turns raised exceptions into 500.
        return error_response(request, 404)
    if request.method == "GET":
        return _render(request, signing_request)
    cms = request.POST.get("cms", "")
    if not cms.strip() or len(cms) > MAX_CMS_CHARS:
        messages.error(request, _("No signature was received from NCALayer."))
        return _render(request, signing_request, status=400)
    verification = services.submit_signature(
        signing_request,
        request.client,  # type: ignore[attr-defined]
        cms,
        channel="web",
        request=request,
    )
    return _after_submit(request, signing_request, verification)


@client_required(allow_unconfirmed=True)
@require_http_methods(["GET"])
def document(request: HttpRequest, request_id: str) -> HttpResponse:
    """The document being signed, as stored (e.g. the contract PDF), for the client to read."""
    signing_request = _own_request(request, request_id)
    if signing_request is None:
        return error_response(request, 404)
    response = HttpResponse(bytes(signing_request.document), content_type=signing_request.document_media_type)
    extension = {"application/pdf": "pdf"}.get(signing_request.document_media_type, "txt")
    response["Content-Disposition"] = f'inline; filename="document-{signing_request.pk}.{extension}"'
    response["Cache-Control"] = "no-store"
    return response


@client_required(allow_unconfirmed=True)
@require_POST
def demo_sign(request: HttpRequest, request_id: str) -> HttpResponse:
    """DEMO ONLY: the server signs with the client's test key (404 unless QARYZ_DEMO is on)."""
    signing_request = _own_request(request, request_id) if settings.DEMO_MODE else None
    if signing_request is None:
        return error_response(request, 404)
    algorithm = request.POST.get("algorithm", "rsa")
    if algorithm not in services.DEMO_ALGORITHMS:
        return error_response(request, 400)
    cms = services.demo_sign(signing_request, algorithm=algorithm)
    verification = services.submit_signature(
        signing_request,
        request.client,  # type: ignore[attr-defined]
        cms,
        channel="demo",
        request=request,
    )
    return _after_submit(request, signing_request, verification)
