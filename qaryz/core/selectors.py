from __future__ import annotations

from django.conf import settings

from qaryz.core.models import MfoProfile


def current_mfo_profile() -> MfoProfile:
    """The newest MFO profile, or an unsaved one built from settings before demo data exists."""
    profile = MfoProfile.objects.order_by("-id").first()
    if profile is None:
        profile = MfoProfile(
            short_name=settings.MFO_NAME,
            legal_name=settings.MFO_NAME,
            primary_color=settings.MFO_PRIMARY_COLOR,
            website=settings.MFO_PUBLIC_DOMAIN,
        )
    return profile


def mfo_profile_in(language: str | None = None) -> MfoProfile:
    """The current MFO profile with its legal name, addresses and licence in ``language`` (the
    active language when None): the Kazakh contract and letters print the Kazakh variants."""
    from django.utils import translation

    return current_mfo_profile().in_language(language or translation.get_language())
