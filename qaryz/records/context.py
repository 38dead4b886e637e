"""The request being served, so audit events written deep inside a service (or by a model
signal) still know who acted and from where. Set by ``middleware.AuditContextMiddleware``."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

from django.http import HttpRequest

_current_request: contextvars.ContextVar[HttpRequest | None] = contextvars.ContextVar(
    "qaryz_audit_request", default=None
)
_current_actor: contextvars.ContextVar[object | None] = contextvars.ContextVar(
    "qaryz_audit_actor", default=None
)


def current_request() -> HttpRequest | None:
    return _current_request.get()


def current_actor() -> object | None:
    return _current_actor.get()


@contextmanager
def bind_request(request: HttpRequest | None) -> Iterator[None]:
    token = _current_request.set(request)
    try:
        yield
    finally:
        _current_request.reset(token)


@contextmanager
def acting_as(actor: object | None) -> Iterator[None]:
    """Attribute audit events written in this block to ``actor`` (jobs, commands, API calls)."""
    token = _current_actor.set(actor)
    try:
        yield
    finally:
        _current_actor.reset(token)
