"""Binds the request for the audit trail and records refused requests as security events."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from qaryz.records.context import bind_request


class AuditContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with bind_request(request):
            response = self.get_response(request)
            if response.status_code == 403:
                # Permission denials and CSRF failures (R-SEC-1). Imported late: services
                # needs the app registry.
                from qaryz.records.services import record_event

                record_event(
                    "http.forbidden",
                    category="security",
                    request=request,
                    data={"path": request.path[:200], "method": request.method},
                )
        return response
