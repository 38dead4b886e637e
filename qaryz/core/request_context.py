"""Per-request context (request id) shared by logging, errors and the audit trail."""

from __future__ import annotations

import contextvars
import secrets

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("qaryz_request_id", default="-")


def new_request_id() -> str:
    # 10 hex characters: short enough to read over the phone to support, unique enough per day.
    return secrets.token_hex(5).upper()


def set_request_id(value: str) -> contextvars.Token[str]:
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token[str]) -> None:
    _request_id.reset(token)


def get_request_id() -> str:
    return _request_id.get()
