"""Attributes other rooms supply to every evaluated event (``settings.ANTIFRAUD_ENRICHERS``)."""

from __future__ import annotations

from typing import Any

from django.apps import apps


def _installed(app: str) -> bool:
    return apps.is_installed(app)


def data_leak(event_kind: str, client: Any, attributes: dict) -> dict:
    """``data_leak_flagged`` from the data-leak register (``qaryz.leaks.selectors.is_leaked``, an
    open leak mark of the client); nothing when that room is not installed or there is no client."""
    if client is None or "data_leak_flagged" in attributes or not _installed("qaryz.leaks"):
        return {}
    from qaryz.leaks.selectors import is_leaked

    return {"data_leak_flagged": bool(is_leaked(client))}


def device_integrity(event_kind: str, client: Any, attributes: dict) -> dict:
    """``device_flags`` from the devices room: the integrity reasons (``rooted``, ``hooking``,
    ``emulator``, ``remote_control``, ``attestation_*``…) of the device the operation came from –
    the newest device of the operation's subject (``devices_for_reference``), else the client's
    most recently seen bound device; nothing when that room is absent or the caller gave flags."""
    if client is None or "device_flags" in attributes or not _installed("qaryz.devices"):
        return {}
    from qaryz.devices import selectors

    subject = str(attributes.get("subject") or "")
    devices = selectors.devices_for_reference(subject) if subject else []
    if devices:
        state = selectors.integrity_state(devices[0])
        status, reasons = state.status, state.reasons
    else:
        newest = selectors.newest_device_integrity(client)  # one query of two columns
        if newest is None:
            return {}
        status, reasons = newest
    return {"device_flags": list(reasons)} if status == "compromised" else {}


# the rule kinds each enricher feeds: it is called only when such a rule applies to the event
data_leak.kinds = ("data_leak",)  # type: ignore[attr-defined]
device_integrity.kinds = ("device_integrity",)  # type: ignore[attr-defined]
