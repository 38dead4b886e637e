"""Attributes other rooms supply to every evaluated event (``settings.ANTIFRAUD_ENRICHERS``)."""

from __future__ import annotations

from typing import Any


def data_leak(event_kind: str, client: Any, attributes: dict) -> dict:
    """``data_leak_flagged`` from the data-leak register (``qaryz.leaks.selectors.is_leaked``, an
    open leak mark of the client); nothing when that room is not installed or there is no client."""
    if client is None or "data_leak_flagged" in attributes:
        return {}
    try:
        from qaryz.leaks.selectors import is_leaked
    except ImportError:
        return {}
    return {"data_leak_flagged": bool(is_leaked(client))}
