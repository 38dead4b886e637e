"""The lending room's flow error (re-exported by ``qaryz.lending.services``)."""

from __future__ import annotations


class FlowError(Exception):
    """A step that is not possible now; ``message`` is shown to the client (translated)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
