"""Reads of the biometrics room, used by views, the API and other rooms."""

from __future__ import annotations

import datetime as dt
import threading

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import Count, Max
from django.utils import timezone

from qaryz.clients.models import Client

from .engine import faces
from .engine.index import FaceIndex, Hit
from .models import FaceReference, LivenessSession, Verification


def fresh_verification(client: Client, purpose: str, within_seconds: int = 900) -> Verification | None:
    """The latest passed, unconsumed verification of `client` for `purpose`, not older than the window."""
    since = timezone.now() - dt.timedelta(seconds=within_seconds)
    return (
        Verification.objects.filter(
            client=client, purpose=purpose, passed=True, consumed_at__isnull=True, created_at__gte=since
        )
        .order_by("-created_at")
        .first()
    )


def open_session(client: Client, session_id: object) -> LivenessSession | None:
    return LivenessSession.objects.filter(client=client, pk=session_id).first()


def document_reference(client: Client) -> FaceReference | None:
    return FaceReference.objects.filter(
        client=client, source=FaceReference.Source.DOCUMENT, active=True
    ).first()


def verifications_of(client: Client, limit: int = 20) -> list[Verification]:
    return list(Verification.objects.filter(client=client).select_related("session")[:limit])


# --- 1:N index over the faces of confirmed clients (antifraud) ------------------------------

_index_lock = threading.Lock()
_index: FaceIndex | None = None
_index_version: tuple | None = None


def _indexed() -> object:
    return FaceReference.objects.filter(active=True, client__status=Client.Status.CONFIRMED)


def _version() -> tuple:
    # Count, last id and last timestamp of the indexed rows: any enrolment, retirement or change
    # of a client's confirmed status changes it (one aggregate query per search).
    agg = _indexed().aggregate(n=Count("pk"), last=Max("pk"), ts=Max("created_at"))  # type: ignore[attr-defined]
    return agg["n"], agg["last"], agg["ts"]


def face_index() -> FaceIndex:
    """In-process index, rebuilt when the set of indexed references changed."""
    global _index, _index_version
    version = _version()
    with _index_lock:
        if _index is None or _index_version != version:
            index = FaceIndex()
            rows = _indexed().values_list("client_id", "descriptor")  # type: ignore[attr-defined]
            for client_id, blob in rows.iterator():
                index.add((client_id, len(index)), faces.from_bytes(bytes(blob)))
            _index, _index_version = index, version
        return _index


def same_face_candidates(
    descriptor: np.ndarray, *, exclude_client_id: int | None = None, limit: int = 5
) -> list[Hit]:
    """Confirmed clients (other than `exclude_client_id`) whose face is within the same-face distance."""
    hits = face_index().search(
        descriptor, max_distance=settings.BIOMETRICS_SAME_FACE_DISTANCE, limit=limit + 5
    )
    seen: dict[int, Hit] = {}
    for hit in hits:
        client_id = hit.key[0]  # type: ignore[index]
        if client_id != exclude_client_id and client_id not in seen:
            seen[client_id] = Hit(client_id, hit.distance)
    return list(seen.values())[:limit]


def same_face_for_client(client: Client) -> list[Hit]:
    """For the back office: other confirmed clients with the face of any of this client's references."""
    out: dict[int, Hit] = {}
    # asked on every antifraud evaluation: one bare query of the descriptors (newest first, the
    # model's order), no instances; the index is consulted only when there is a reference
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT descriptor FROM {FaceReference._meta.db_table} "  # noqa: S608  # nosec B608 – the model's own table
            "WHERE client_id = %s AND active ORDER BY created_at DESC",
            [client.pk],
        )
        descriptors = [row[0] for row in cursor.fetchall()]
    for descriptor in descriptors:
        for hit in same_face_candidates(faces.from_bytes(bytes(descriptor)), exclude_client_id=client.pk):
            if hit.key not in out or hit.distance < out[hit.key].distance:  # type: ignore[operator]
                out[hit.key] = hit  # type: ignore[index]
    return sorted(out.values(), key=lambda h: h.distance)
