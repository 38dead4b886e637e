"""Pages of the records room: the audit trail for staff, the public key, receipt downloads."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

# The access room's staff guard (second factor, live session, permission) at the HTTP edge only.
from qaryz.access.decorators import staff_required
from qaryz.records import crypto, descriptions, selectors
from qaryz.records.forms import AuditFilterForm
from qaryz.records.models import Receipt
from qaryz.records.receipts import receipt_json, receipt_pdf
from qaryz.records.services import record_event, signing_key


@require_GET
@staff_required("records.view_auditevent")
def audit_log(request: HttpRequest) -> HttpResponse:
    """The audit trail with filters (R-AUD-1); security events via category (R-SEC-1). Times and
    the date filters are in the MFO's zone (``TIME_ZONE``); each event reads as a sentence."""
    form = AuditFilterForm(request.GET or None)
    data = {k: v for k, v in form.cleaned_data.items() if v} if form.is_valid() else {}
    zone = ZoneInfo(settings.TIME_ZONE)
    filters: dict = {
        k: data[k] for k in ("category", "actor_type", "actor", "target_type", "target_id") if k in data
    }
    if "group" in data:
        filters["action_prefixes"] = descriptions.prefixes_of(data["group"])
    if "since" in data:
        filters["since"] = datetime.combine(data["since"], time.min, tzinfo=zone)
    if "until" in data:
        filters["until"] = datetime.combine(data["until"] + timedelta(days=1), time.min, tzinfo=zone)
    page = Paginator(selectors.events(**filters), 50).get_page(request.GET.get("page"))
    # Reading the trail is itself worth recording.
    record_event(
        "audit.viewed",
        category="security",
        request=request,
        data={"filters": {k: str(v) for k, v in data.items()}},
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "records/audit_log.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "rows": [_row(e) for e in page],
            "zone": settings.TIME_ZONE,
        },
    )


def _row(event) -> dict:
    try:
        details = json.dumps(json.loads(event.data), ensure_ascii=False, sort_keys=True)
    except ValueError:
        details = event.data
    return {
        "event": event,
        "description": descriptions.describe(event.action, event.data, event.target_type),
        "object": descriptions.object_label(event.target_type),
        "details": details[:400],
        "channel": str(_CHANNELS[event.channel]) if event.channel in _CHANNELS else "",
    }


_CHANNELS = {"web": gettext_lazy("web"), "api": gettext_lazy("mobile app or API")}


@require_GET
def public_key(request: HttpRequest) -> HttpResponse:
    """The MFO's Ed25519 public key: anyone verifies receipts and checkpoints with it (R-RCPT-1)."""
    key = signing_key().private_key().public_key()
    response = HttpResponse(crypto.public_key_pem(key), content_type="application/x-pem-file")
    response["Content-Disposition"] = 'inline; filename="mfo-public-key.pem"'
    return response


def receipt_response(receipt: Receipt, fmt: str) -> HttpResponse:
    """A receipt as a download, for the cabinet and the back office to return from their views."""
    if fmt == "json":
        response = JsonResponse(receipt_json(receipt), json_dumps_params={"ensure_ascii": False, "indent": 1})
        response["Content-Disposition"] = f'attachment; filename="receipt-{receipt.pk}.json"'
        return response
    if fmt == "pdf":
        response = HttpResponse(receipt_pdf(receipt), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="receipt-{receipt.pk}.pdf"'
        return response
    raise Http404


@require_GET
def client_receipt(request: HttpRequest, receipt_id: str, fmt: str) -> HttpResponse:
    """Cabinet download of the client's own receipt; expects ``request.client`` set by the access
    room's ``client_required`` decorator (the cabinet wraps this view with it)."""
    client = getattr(request, "client", None)
    if client is None:
        raise Http404
    receipt = selectors.receipt_for(client, receipt_id)
    if receipt is None:
        raise Http404
    record_event("receipt.downloaded", actor=client, target=receipt, request=request, data={"format": fmt})
    return receipt_response(receipt, fmt)
