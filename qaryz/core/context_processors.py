from django.conf import settings
from django.http import HttpRequest


def branding(request: HttpRequest) -> dict[str, object]:
    """MFO name, colours and demo flag for every template (R-WEB-1)."""
    from qaryz.core.selectors import current_mfo_profile

    return {
        "mfo": current_mfo_profile(),
        "demo_mode": settings.DEMO_MODE,
    }
