"""Adapters of the biometric port; `get_provider()` returns the one chosen in settings."""

from __future__ import annotations

from django.conf import settings

from ..ports import BiometricProvider


def get_provider() -> BiometricProvider:
    if settings.BIOMETRICS_PROVIDER == "http":
        from .http import HttpProvider

        return HttpProvider(
            settings.BIOMETRICS_HTTP_URL,
            settings.BIOMETRICS_HTTP_TOKEN,
            timeout=settings.BIOMETRICS_HTTP_TIMEOUT,
        )
    from .embedded import EmbeddedProvider

    return EmbeddedProvider()
