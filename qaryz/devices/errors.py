"""The one refusal of this room: an HTTP status, a stable code for the app, a translated message."""

from __future__ import annotations


class DeviceRefused(Exception):
    """Rendered by the API as ``{"error": code, "reference": ..., "detail": message}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
