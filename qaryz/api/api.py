"""The mobile and server-to-server API (R-AIS-1, R-MOB-1): one NinjaAPI, one router per room."""

from __future__ import annotations

import logging

from django.db import DataError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError

from qaryz.access.api import router as access_router
from qaryz.biometrics.api import router as biometrics_router
from qaryz.cabinet.api import router as cabinet_router
from qaryz.clients.api import router as clients_router
from qaryz.collections.api import router as collections_router
from qaryz.compliance.api import router as compliance_router
from qaryz.core.api import router as core_router
from qaryz.core.api_errors import validation_message
from qaryz.core.request_context import get_request_id
from qaryz.correspondence.api import router as correspondence_router
from qaryz.devices.api import router as devices_router
from qaryz.devices.errors import DeviceRefused
from qaryz.lending.api import router as lending_router
from qaryz.messaging.api import router as messaging_router
from qaryz.records.api import router as records_router
from qaryz.regulator import gate
from qaryz.servicing.api import router as servicing_router
from qaryz.servicing.payouts_api import router as payouts_router
from qaryz.signatures.api import router as signatures_router

logger = logging.getLogger("qaryz.api")


class FieldErrorOut(Schema):
    loc: list[str | int] | None = None
    msg: str


class ErrorOut(Schema):
    """Every error answer: a code, the request's reference id and, for some, a message or field errors."""

    error: str
    reference: str
    detail: str | list[FieldErrorOut] | None = None


ERROR_DESCRIPTIONS = {
    400: "Bad request (malformed input, a NUL character, a refused step)",
    401: "Not authenticated (no, expired or wrong-scope bearer token) or wrong credentials",
    403: (
        "Not allowed in this state; or (error code channel_not_in_effect) the service is not offered "
        "through the mobile app until the MFO's notice to the authority about it takes effect"
    ),
    404: "Not found (or not the caller's)",
    413: "Payload too large",
    422: "Validation error (the body or a parameter does not match the schema, or a refused value)",
    423: "Locked (too many failed sign-ins)",
    426: "Update required: this app version may no longer borrow or pay (error code update_required)",
    429: "Too many requests (wait, then try again)",
    500: "Server error (only a reference id is given)",
}
# Answers particular operations give besides those every operation can give (see document_errors).
EXTRA_ANSWERS: dict[tuple[str, str], tuple[int, ...]] = {
    ("post", "/api/v1/access/register"): (429,),
    ("post", "/api/v1/access/otp/resend"): (429,),
    ("post", "/api/v1/access/login"): (401, 423, 429),
    ("post", "/api/v1/access/login/verify"): (401,),
    ("post", "/api/v1/access/login/key/verify"): (401,),
    ("post", "/api/v1/access/recover"): (429,),
    ("post", "/api/v1/access/recover/complete"): (403,),
    ("post", "/api/v1/signatures/requests/{request_id}/submit"): (413,),
    ("post", "/api/v1/access/changes"): (429,),  # the code to the new phone is rate-limited
    # no bearer (the refresh token is the credential): a missing, invalid or replayed device proof
    # or a spent refresh token is a 401 (found by the authenticated schemathesis pass)
    ("post", "/api/v1/devices/token"): (401,),
}


# Lending and money routers (ClientBearer(money=True)): their unsafe calls pass the device guard.
MONEY_PATHS = ("/api/v1/applications", "/api/v1/servicing/loans")


def document_errors(schema: dict) -> dict:
    """Declare on every operation the error answers it can give, with the one error body (ErrorOut):
    400 and 500 everywhere, 401 where a token is needed, 422 where there is a body or a parameter, 404
    where the path names an object, plus EXTRA_ANSWERS. A 422 an operation declares itself (a
    refused signature) may also be a validation error: its schema becomes either of the two."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(error_schema.pop("$defs", {}))
    components["ErrorOut"] = error_schema
    ref = {"$ref": "#/components/schemas/ErrorOut"}
    for path, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            params = op.get("parameters", [])
            codes = {400, 500}
            if op.get("security"):
                codes.add(401)
            if op.get("requestBody") or params:
                codes.add(422)
            if any(p.get("in") == "path" for p in params):
                codes.add(404)
            codes.update(EXTRA_ANSWERS.get((method, path), ()))
            if gate.service_of(path.lstrip("/").replace("{", "<").replace("}", ">")):
                codes.add(403)  # the regulator's blocking check (qaryz/regulator/gate.py)
            if op.get("security") and method != "get" and path.startswith(MONEY_PATHS):
                codes.update((403, 426))  # device integrity / binding, version policy (qaryz.devices)
            responses = op.setdefault("responses", {})
            for code in sorted(codes):
                own = responses.pop(code, None) or responses.get(str(code))
                if own is not None:
                    responses[str(code)] = own
                if own is None:
                    responses[str(code)] = {
                        "description": ERROR_DESCRIPTIONS[code],
                        "content": {"application/json": {"schema": ref}},
                    }
                    continue
                content = own.setdefault("content", {}).setdefault("application/json", {})
                declared = content.get("schema")
                if declared and declared != ref:
                    content["schema"] = {"anyOf": [declared, ref]}
    return schema


class QaryzApi(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):  # type: ignore[override]
        return document_errors(super().get_openapi_schema(*args, **kwargs))


api = QaryzApi(
    title="Qaryz API",
    version="1",
    description="API of the Qaryz microcredit platform: mobile app, calculators, partners.",
    urls_namespace="api-v1",
    # Swagger UI from the project's own static files (ninja/static/ninja/, collected by
    # collectstatic, served by WhiteNoise): its template has no inline script, the settings travel
    # as a JSON data block, so the CSP (script-src 'self') needs no exception.
    docs=Swagger(settings={"persistAuthorization": False, "tryItOutEnabled": False}),
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
    ("/collections/", collections_router),
    ("/correspondence/", correspondence_router),
    ("/devices/", devices_router),
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
    detail = [{"loc": e.get("loc"), "msg": validation_message(e)} for e in exc.errors]
    return _error(request, 422, "validation_error", detail)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthorized")


@api.exception_handler(DeviceRefused)
def on_device_refused(request: HttpRequest, exc: DeviceRefused) -> HttpResponse:
    # A stable code the app acts on (update_required, proof_required, device_integrity, …) and
    # a message in the request's language.
    return _error(request, exc.status, exc.code, exc.message)


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, "error", str(exc))


@api.exception_handler(DataError)
def on_data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
    # A value the database cannot hold (too long for its column, out of range): the caller's input.
    logger.warning("Refused input the database cannot hold on %s %s", request.method, request.path)
    return _error(
        request,
        422,
        "validation_error",
        [{"loc": ["body"], "msg": _("A value is too long or out of range.")}],
    )


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("Unhandled API error on %s %s", request.method, request.path)
    return _error(request, 500, "server_error")
