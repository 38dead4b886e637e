"""The mobile and server-to-server API (R-AIS-1, R-MOB-1): one NinjaAPI, one router per room."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from qaryz.access.api import router as access_router
from qaryz.biometrics.api import router as biometrics_router
from qaryz.cabinet.api import router as cabinet_router
from qaryz.clients.api import router as clients_router
from qaryz.compliance.api import router as compliance_router
from qaryz.core.api import router as core_router
from qaryz.core.request_context import get_request_id
from qaryz.lending.api import router as lending_router
from qaryz.messaging.api import router as messaging_router
from qaryz.records.api import router as records_router
from qaryz.servicing.api import router as servicing_router
from qaryz.servicing.payouts_api import router as payouts_router
from qaryz.signatures.api import router as signatures_router

logger = logging.getLogger("qaryz.api")

api = NinjaAPI(
    title="Qaryz API",
    version="1",
    description="API of the Qaryz microcredit platform: mobile app, calculators, partners.",
    urls_namespace="api-v1",
)

for prefix, router in [
    ("/", core_router),
    ("/clients/", clients_router),
    ("/access/", access_router),
    ("/biometrics/", biometrics_router),
    ("/signatures/", signatures_router),
    ("/", lending_router),
    ("/servicing/", servicing_router),
    ("/servicing/", payouts_router),
    ("/compliance/", compliance_router),
    ("/records/", records_router),
    ("/messages/", messaging_router),
    ("/cabinet/", cabinet_router),
]:
    api.add_router(prefix, router)


def _error(request: HttpRequest, status: int, code: str, detail: object = None) -> HttpResponse:
    body: dict[str, object] = {"error": code, "reference": get_request_id()}
    if detail is not None:
        body["detail"] = detail
    return api.create_response(request, body, status=status)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    # Field paths and messages only; never echo the submitted values back (they may be secrets).
    detail = [{"loc": e.get("loc"), "msg": e.get("msg")} for e in exc.errors]
    return _error(request, 422, "validation_error", detail)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthorized")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "error", str(exc))


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("Unhandled API error on %s %s", request.method, request.path)
    return _error(request, 500, "server_error")
