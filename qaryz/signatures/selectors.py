"""Read queries of the signatures room, used by views, the API and other rooms."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from qaryz.clients.models import Client

from .models import SignatureVerification, SigningRequest


def accepted_signature(signing_request: SigningRequest) -> SignatureVerification | None:
    """The accepted verification of ``signing_request``, or None (the interface other rooms use)."""
    return (
        SignatureVerification.objects.filter(signing_request_id=signing_request.pk, accepted=True)
        .select_related("signing_request")
        .first()
    )


def signing_request_for_client(request_id: uuid.UUID | str, client: Client) -> SigningRequest | None:
    """The client's own signing request (None for someone else's: no way to probe ids)."""
    try:
        key = uuid.UUID(str(request_id))
    except ValueError:
        return None
    return SigningRequest.objects.filter(pk=key, client=client).select_related("client").first()


def open_signing_request(request_id: uuid.UUID | str) -> SigningRequest | None:
    """The request if it can still be signed (pending, not expired, not closed after too many
    failed attempts); callers that keep a request id
    (registration, changes, contracts) create a new request when this returns None."""
    try:
        key = uuid.UUID(str(request_id))
    except ValueError:
        return None
    return (
        SigningRequest.objects.filter(
            pk=key, status=SigningRequest.Status.PENDING, expires_at__gt=timezone.now()
        )
        .annotate(failures=Count("verifications", filter=Q(verifications__accepted=False)))
        .filter(failures__lt=settings.EDS_MAX_ATTEMPTS)
        .first()
    )


def keep_signing_request(request_id: uuid.UUID | str) -> bool:
    """Whether a kept request id still serves: it can be signed, or it already carries an accepted
    signature. Otherwise (expired, closed, unknown) the caller creates a new request."""
    if not request_id:
        return False
    if open_signing_request(request_id) is not None:
        return True
    try:
        key = uuid.UUID(str(request_id))
    except ValueError:
        return False
    return SignatureVerification.objects.filter(signing_request_id=key, accepted=True).exists()


def attempts(signing_request: SigningRequest) -> list[SignatureVerification]:
    return list(signing_request.verifications.order_by("-created_at"))
