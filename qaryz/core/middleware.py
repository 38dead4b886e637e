"""Cross-cutting HTTP behaviour: request ids, security headers, safe errors (R-WEB-5, R-WEB-2)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from qaryz.core.request_context import get_request_id, new_request_id, reset_request_id, set_request_id

logger = logging.getLogger("qaryz.errors")

Handler = Callable[[HttpRequest], HttpResponse]
_EXPECTED = (Http404, PermissionDenied, BadRequest, SuspiciousOperation)


class RequestIdMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = _trusted_request_id(request) or new_request_id()
        request.request_id = request_id  # type: ignore[attr-defined]
        token = set_request_id(request_id)
        try:
            response = self.get_response(request)
        finally:
            reset_request_id(token)
        response["X-Request-ID"] = request_id
        return response


_REQUEST_ID_SHAPE = re.compile(r"[A-Za-z0-9._-]{8,32}")


def _trusted_request_id(request: HttpRequest) -> str:
    """The proxy's X-Request-ID when settings trust it (QARYZ_TRUST_REQUEST_ID=1) and it has a safe
    shape: one id then follows a request from the load balancer through the logs and the audit trail."""
    if not settings.TRUST_REQUEST_ID:
        return ""
    value = request.headers.get("X-Request-ID", "")
    return value if _REQUEST_ID_SHAPE.fullmatch(value) else ""


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


class SecurityHeadersMiddleware:
    """CSP and ``Cache-Control: no-store`` on every dynamic response.

    Static files are answered by WhiteNoise before this middleware runs and stay cacheable;
    everything else may carry confidential data or a form, so neither the browser nor a proxy
    may keep a copy (R-WEB-2, R-MOB-1).
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=(self)")
        response["Cache-Control"] = "no-store, max-age=0"
        response["Pragma"] = "no-cache"
        return response


class SafeErrorMiddleware:
    """Turns any unhandled exception into a page or JSON body that shows only a reference id.

    The full traceback (which may hold an IIN or other secrecy data) goes to the log under the
    same id, never to the client (R-WEB-5).
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        # 400/403/404 exceptions are expected answers: Django's handlers (handler400/403/404 in
        # qaryz/urls.py) render them with the same reference-only pages.
        if settings.DEBUG or isinstance(exception, _EXPECTED):
            return None
        logger.exception("Unhandled error on %s %s", request.method, request.path)
        return error_response(request, 500)


def error_response(request: HttpRequest, status: int) -> HttpResponse:
    reference = get_request_id()
    if is_api_request(request):
        return JsonResponse(
            {"error": _ERROR_CODES.get(status, "error"), "reference": reference}, status=status
        )
    html: str
    try:
        html = render_to_string("error.html", {"status": status, "reference": reference}, request=request)
    except Exception:  # the branded page needs the database; when that is what failed, stay plain
        logging.getLogger("qaryz.errors.page").exception("Branded error page failed; plain page sent")
        html = _PLAIN_ERROR.format(status=status, reference=reference)
    return HttpResponse(html, status=status)


_PLAIN_ERROR = (
    '<!doctype html><html><head><meta charset="utf-8"><title>{status}</title></head>'
    "<body><h1>{status}</h1><p>Reference: <strong>{reference}</strong></p></body></html>"
)


_ERROR_CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 500: "server_error"}
