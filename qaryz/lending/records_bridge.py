"""Calls into the records room (audit trail, document vault) from lending and compliance.

The records room is built in parallel under the agreed names (HELPERS.md). Until it is
importable, audit events go to the ``qaryz.audit`` log and documents are kept only in this room's
own tables (contracts keep their exact PDF bytes, acknowledgements their text and SHA-256), so
nothing is dropped; once records lands, the vault reference is stored beside them.
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
    """The vault reference of the stored bytes, or "" while the records room is not installed."""
    try:
        from qaryz.records.services import store_document as _store
    except ImportError:
        logger.warning("records room not installed: %s kept in the lending tables only", kind)
        return ""
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
