"""Calls into the records room (audit trail, document vault) from the access-owned rooms.

The records room is built in parallel; its service names are fixed by the project's interface
agreement. Until it is importable, audit events go to the ``qaryz.audit`` log and storing a
document fails loudly (a face photo or scan must never be silently dropped).
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger("qaryz.audit")


def audit(
    action: str,
    *,
    category: str = "business",
    actor: Any = None,
    target: Any = None,
    data: dict | None = None,
    request: Any = None,
) -> Any:
    # One log line per event (no data: it may be confidential) so operations see security events
    # in the log stream too; the audit trail itself is the records room's table.
    logger.info(
        "audit %s category=%s target=%s:%s",
        action,
        category,
        type(target).__name__ if target is not None else "-",
        getattr(target, "pk", "-"),
    )
    try:
        from qaryz.records.services import record_event
    except ImportError:
        logger.warning("records room not installed: audit event %s kept in the log only", action)
        return None
    return record_event(action, category=category, actor=actor, target=target, data=data, request=request)


def store_document(
    content: bytes,
    *,
    media_type: str,
    kind: str,
    direction: str,
    owner: Any = None,
    filename: str = "",
    channel: str = "web",
) -> str:
    """Store bytes in the vault and return the document's primary key as a string reference."""
    from qaryz.records.services import store_document as _store

    document = _store(
        content,
        media_type=media_type,
        kind=kind,
        direction=direction,
        owner=owner,
        filename=filename,
        channel=channel,
    )
    return str(document.pk)
