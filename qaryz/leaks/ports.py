"""The mobile operator's subscriber check (R-LEAK-1): does this phone number belong to this IIN?

Contract, the same for the embedded simulator (``adapters/embedded.py``) and an operator or the
e-government phone registry over HTTPS (``adapters/http.py``):

- ``check_owner(phone, iin)`` answers ``OwnerAnswer(result, operator)`` with ``result`` one of
  ``match`` (the number is registered to the IIN), ``mismatch`` (to another person) or
  ``unknown`` (the operator does not serve it);
- raises ``OperatorError`` when there is no readable answer (timeout, refused, bad body).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

RESULTS = frozenset({"match", "mismatch", "unknown"})


class OperatorError(Exception):
    """No readable answer from the operator."""


@dataclass(frozen=True)
class OwnerAnswer:
    result: str
    operator: str = ""


class MobileOperator(Protocol):
    name: str

    def check_owner(self, phone: str, iin: str) -> OwnerAnswer: ...
