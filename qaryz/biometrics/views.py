"""Cabinet pages of the biometric check: /biometrics/verify/?purpose=<p>&next=<url> (thin views)."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from qaryz.access.decorators import client_required

from . import selectors, services
from .engine.liveness import CHALLENGES
from .models import Purpose


def _safe_next(request: HttpRequest) -> str:
    nxt = request.GET.get("next") or request.POST.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return nxt
    return ""


def _purpose(request: HttpRequest) -> str:
    purpose = request.GET.get("purpose") or request.POST.get("purpose") or ""
    return purpose if purpose in Purpose.values else ""


def prompts() -> dict[str, str]:
    return {
        "turn_left": _("Slowly turn your head to the left"),
        "turn_right": _("Slowly turn your head to the right"),
        "look_up": _("Look up"),
        "look_down": _("Look down"),
        "blink": _("Blink"),
        "open_mouth": _("Open your mouth"),
        "baseline": _("Look straight into the camera"),
    }


@require_GET
@client_required(allow_unconfirmed=True)
def verify(request: HttpRequest) -> HttpResponse:
    purpose = _purpose(request)
    if not purpose:
        return render(request, "biometrics/no_purpose.html", status=400)
    client = request.client  # type: ignore[attr-defined]
    context = {
        "purpose": purpose,
        "purpose_label": Purpose(purpose).label,
        "next": _safe_next(request),
        "has_document": selectors.document_reference(client) is not None,
        "prompts": [(key, prompts()[key]) for key in (*CHALLENGES, "baseline")],
        "start_url": reverse("biometrics:start"),
        "document_url": reverse("biometrics:document"),
        "today": timezone.localdate(),
        "messages_json": json.dumps(
            {
                "camera": _("Allow access to the camera to continue."),
                "sending": _("Checking…"),
                "passed": _("Identity confirmed."),
                "failed": _("The check did not pass."),
                "retry": _("Try again"),
            }
        ),
    }
    return render(request, "biometrics/verify.html", context)


@require_POST
@client_required(allow_unconfirmed=True)
def start(request: HttpRequest) -> JsonResponse:
    try:
        session = services.start_session(request.client, _purpose(request), channel="web", request=request)  # type: ignore[attr-defined]
    except services.BiometricsError as exc:
        return JsonResponse({"error": exc.code, "message": exc.message}, status=400)
    return JsonResponse(session_payload(session))


def session_payload(session: Any) -> dict[str, Any]:
    tl = services.timeline()
    return {
        "session_id": str(session.pk),
        "nonce": session.nonce,
        "challenges": session.challenge_list,
        "baseline_ms": session.baseline_ms,
        "step_ms": session.step_ms,
        "fps": tl.fps,
        "expires_at": session.expires_at.isoformat(),
        "frames_url": reverse("biometrics:frames", args=[session.pk]),
    }


def parse_frames(request: HttpRequest) -> list[tuple[int, int, bytes]]:
    """Multipart: `meta` = JSON [[step, t_ms], ...] and one `frames` file per entry, same order."""
    try:
        meta = json.loads(request.POST.get("meta") or "[]")
        files = request.FILES.getlist("frames")
        if len(files) != len(meta) or len(files) > services.MAX_FRAMES:
            raise ValueError("frames and meta differ")
        out = []
        for (step, t_ms), upload in zip(meta, files, strict=True):
            if upload.size > services.MAX_FRAME_BYTES:
                raise ValueError("frame too large")
            out.append((int(step), int(t_ms), upload.read()))
        return out
    except (TypeError, ValueError) as exc:
        raise services.BiometricsError("bad_timing", str(exc)) from exc


def verification_payload(verification: Any) -> dict[str, Any]:
    return {
        "verification_id": str(verification.pk),
        "passed": verification.passed,
        "reason": verification.reason,
        "message": _("Identity confirmed.")
        if verification.passed
        else services.message_for(verification.reason),
        "similarity": verification.similarity,
        "threshold": verification.threshold,
    }


@require_POST
@client_required(allow_unconfirmed=True)
def frames(request: HttpRequest, session_id: str) -> JsonResponse:
    try:
        verification = services.submit_frames(
            session_id,
            client=request.client,
            nonce=request.POST.get("nonce", ""),
            frames=parse_frames(request),
            request=request,  # type: ignore[attr-defined]
        )
    except services.BiometricsError as exc:
        # Another client's (or no) session: 404, like every object the caller does not own.
        status = 404 if exc.code == "not_found" else 400
        return JsonResponse({"error": exc.code, "message": exc.message}, status=status)
    payload = verification_payload(verification)
    nxt = _safe_next(request)
    payload["next"] = nxt if verification.passed and nxt else ""
    return JsonResponse(payload)


@require_POST
@client_required(allow_unconfirmed=True)
def document(request: HttpRequest) -> HttpResponse:
    back = reverse("biometrics:verify") + "?" + request.GET.urlencode()
    upload = request.FILES.get("card")
    if upload is None:
        return redirect(back)
    from django.contrib import messages

    client = request.client  # type: ignore[attr-defined]
    try:
        issued = services.parse_issue_date(request.POST.get("issue_date"))
        services.enrol_document(client, upload.read(), issue_date=issued, channel="web", request=request)
    except services.BiometricsError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    for code in services.document_warnings(client):
        messages.warning(request, services.message_for(code))
    return redirect(back)
