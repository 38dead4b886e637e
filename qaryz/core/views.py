from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from qaryz.core.middleware import error_response


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return error_response(request, 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return error_response(request, 403)


def brand_css(request: HttpRequest) -> HttpResponse:
    """The MFO's corporate colours as CSS variables (R-WEB-1); a file, so CSP can forbid inline styles."""
    from qaryz.core.selectors import current_mfo_profile

    profile = current_mfo_profile()
    css = f":root {{ --primary: {profile.primary_color}; --accent: {profile.accent_color}; }}\n"
    return HttpResponse(css, content_type="text/css")
