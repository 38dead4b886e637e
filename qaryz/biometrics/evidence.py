"""The one place where biometrics talks to the records room (vault + audit trail, R-ARCH-1)."""

from __future__ import annotations

from typing import Any

from qaryz.records.services import record_event, store_document


def store(
    content: bytes,
    *,
    media_type: str,
    kind: str,
    owner: Any,
    filename: str,
    channel: str = "web",
    direction: str = "inbound",
) -> str:
    """Store bytes in the encrypted vault; returns the document id."""
    doc = store_document(
        content,
        media_type=media_type,
        kind=kind,
        direction=direction,
        owner=owner,
        filename=filename,
        channel=channel,
    )
    return str(doc.pk)


def audit(
    action: str,
    *,
    category: str = "business",
    actor: Any = None,
    target: Any = None,
    data: dict | None = None,
    request: Any = None,
) -> None:
    record_event(action, category=category, actor=actor, target=target, data=data, request=request)
