from django.conf import settings
from django.http import HttpRequest


def branding(request: HttpRequest) -> dict[str, object]:
    """MFO name, colours and demo flag for every template (R-WEB-1)."""
    from qaryz.core.selectors import mfo_profile_in

    return {
        "mfo": mfo_profile_in(getattr(request, "LANGUAGE_CODE", None)),  # Kazakh details on kk pages
        "demo_mode": settings.DEMO_MODE,
    }
