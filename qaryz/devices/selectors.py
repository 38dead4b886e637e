"""Read queries of the devices room: for the security page, push delivery and antifraud rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from qaryz.access.models import ClientSession
from qaryz.devices.models import Device, OperationLocation


@dataclass(frozen=True)
class IntegrityState:
    """What antifraud reads about a device: ``status`` is unknown / ok / compromised."""

    status: str
    reasons: tuple[str, ...]
    checked_at: dt.datetime | None
    signals: dict[str, bool]
    blocked: bool


def integrity_state(device: Device | None) -> IntegrityState:
    """The device's integrity after its last report (``blocked``: money functions are refused)."""
    if device is None:
        return IntegrityState("unknown", (), None, {}, False)
    last = device.integrity_reports.order_by("-created_at", "-pk").first()
    return IntegrityState(
        status=device.integrity_status,
        reasons=tuple(device.integrity_reasons or ()),
        checked_at=device.integrity_checked_at,
        signals=dict(last.signals) if last else {},
        blocked=device.integrity_status == Device.Integrity.COMPROMISED
        or (settings.DEVICE_INTEGRITY_REQUIRED and device.integrity_status == Device.Integrity.UNKNOWN),
    )


def newest_device_integrity(client) -> tuple[str, tuple[str, ...]] | None:
    """``(integrity_status, integrity_reasons)`` of the client's most recently seen bound device
    (``active_devices(client)[0]``), None without one – for antifraud's every evaluation, so one
    bare query of two columns (no device instances, no report)."""
    table = Device._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT integrity_status, integrity_reasons FROM {table} "  # noqa: S608  # nosec B608 – the model's own table
            "WHERE client_id = %s AND revoked_at IS NULL ORDER BY last_seen_at DESC, id DESC LIMIT 1",
            [client.pk],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    reasons = Device._meta.get_field("integrity_reasons").from_db_value(row[1], None, connection)
    return row[0], tuple(reasons or ())


def device_of_session(session: ClientSession | None) -> Device | None:
    if session is None:
        return None
    return Device.objects.filter(sessions__session=session).first()


def active_devices(client) -> list[Device]:
    return list(
        Device.objects.filter(client=client, revoked_at__isnull=True).order_by("-last_seen_at", "-pk")
    )


def all_devices(client) -> list[Device]:
    """Every app instance of the client, unbound ones too (staff client card)."""
    return list(Device.objects.filter(client=client).order_by("-last_seen_at", "-pk"))


def push_tokens(client) -> list[str]:
    """Push tokens of the client's bound, not revoked devices (the push port's addresses)."""
    return list(
        Device.objects.filter(client=client, revoked_at__isnull=True)
        .exclude(push_token="")
        .order_by("pk")
        .values_list("push_token", flat=True)
    )


def push_tokens_by_client(client_ids: set[int]) -> dict[int, list[str]]:
    """``push_tokens`` for many clients in one query (batch notices)."""
    found: dict[int, list[str]] = {}
    rows = (
        Device.objects.filter(client_id__in=client_ids, revoked_at__isnull=True)
        .exclude(push_token="")
        .order_by("pk")
        .values_list("client_id", "push_token")
    )
    for client_id, token in rows:
        found.setdefault(client_id, []).append(token)
    return found


def _live(qs):
    now = timezone.now()
    return qs.filter(ended_at__isnull=True).filter(
        Q(
            kind=ClientSession.Kind.WEB,
            last_seen_at__gte=now - dt.timedelta(seconds=settings.SESSION_IDLE_SECONDS),
        )
        | Q(
            kind=ClientSession.Kind.API,
            last_seen_at__gte=now - dt.timedelta(seconds=settings.API_TOKEN_SECONDS),
        )
    )


def active_sessions(client) -> list[ClientSession]:
    """Live web sessions and API tokens, newest first (bound ones carry ``device_binding``)."""
    return list(
        _live(ClientSession.objects.filter(client=client, scope=ClientSession.Scope.FULL))
        .select_related("device_binding__device")
        .order_by("-last_seen_at", "-pk")
    )


def recent_logins(client, limit: int = 10) -> list[ClientSession]:
    """Sign-ins (web and app), newest first; a bound device's renewed tokens are not sign-ins."""
    return list(
        ClientSession.objects.filter(client=client, scope=ClientSession.Scope.FULL)
        .exclude(device_binding__generation__gt=1)
        .select_related("device_binding__device")
        .order_by("-created_at", "-pk")[:limit]
    )


def last_location(device: Device) -> OperationLocation | None:
    return (
        device.locations.filter(status=OperationLocation.Status.REPORTED)
        .order_by("-created_at", "-pk")
        .first()
    )


def operation_locations(client, limit: int = 50) -> list[OperationLocation]:
    """Locations of the client's money operations, newest first (staff views)."""
    return list(OperationLocation.objects.filter(client=client).select_related("device")[:limit])


def devices_for_reference(reference: str) -> list[Device]:
    """The devices money operations on ``reference`` ("application:12", "loan:5") came from,
    newest first – for antifraud rules looking at an application or loan."""
    ids = (
        OperationLocation.objects.filter(reference=reference, device__isnull=False)
        .order_by("-created_at", "-pk")
        .values_list("device_id", flat=True)
    )
    seen: list[int] = []
    for pk in ids:
        if pk not in seen:
            seen.append(pk)
    found = {d.pk: d for d in Device.objects.filter(pk__in=seen)}
    return [found[pk] for pk in seen]
