"""Safe errors and security headers (R-WEB-5, R-SRV-1, R-WEB-2)."""

import logging

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client
from django.urls import path

from qaryz.urls import handler403, handler404, handler500  # noqa: F401 - this module is a URLconf
from qaryz.urls import urlpatterns as base_patterns

LEAKY_IIN = "900101300017"


def explode(request):
    raise RuntimeError(f"lookup failed for IIN {LEAKY_IIN}")


def forbidden(request):
    raise PermissionDenied(f"not for IIN {LEAKY_IIN}")


def missing(request):
    raise Http404(f"no loan for IIN {LEAKY_IIN}")


urlpatterns = [
    path("boom/", explode),
    path("forbidden/", forbidden),
    path("missing/", missing),
    path("api/v1/forbidden-test", forbidden),
    *base_patterns,
]


@pytest.fixture
def client_no_raise() -> Client:
    return Client(raise_request_exception=False)


@pytest.mark.req("R-WEB-5")
@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_unhandled_exception_shows_reference_not_data(client_no_raise, caplog):
    with caplog.at_level(logging.ERROR):
        response = client_no_raise.get("/boom/")
    body = response.content.decode()
    assert response.status_code == 500
    assert LEAKY_IIN not in body
    assert "Traceback" not in body
    reference = response["X-Request-ID"]
    assert reference in body
    assert LEAKY_IIN in caplog.text  # the detail is in the log, for support to find by reference
    assert any(getattr(r, "request_id", None) == reference for r in caplog.records)


@pytest.mark.req("R-WEB-5")
@pytest.mark.django_db
@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("url", "status"), [("/forbidden/", 403), ("/missing/", 404), ("/api/v1/forbidden-test", 403)]
)
def test_denials_keep_their_status_and_hide_the_detail(client_no_raise, url, status):
    # PermissionDenied / Http404 raised in a view are answers, not crashes: never a 500.
    response = client_no_raise.get(url)
    assert response.status_code == status
    body = response.content.decode()
    assert LEAKY_IIN not in body
    assert response["X-Request-ID"] in body


@pytest.mark.req("R-WEB-5")
@pytest.mark.django_db
def test_api_errors_are_json_with_reference(client):
    response = client.get("/api/v1/no-such-endpoint")
    assert response.status_code == 404
    response = client.post("/api/v1/health", data="{not json", content_type="application/json")
    assert response.status_code in (400, 405, 422)


@pytest.mark.req("R-WEB-5")
@pytest.mark.django_db
def test_404_page_is_friendly(client):
    response = client.get("/definitely-missing/")
    assert response.status_code == 404
    assert response["X-Request-ID"] in response.content.decode()


@pytest.mark.req("R-WEB-2", "R-TLS-1")
@pytest.mark.django_db
def test_security_headers_on_pages(client, settings):
    response = client.get("/", secure=True)
    assert response.status_code == 200
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cache-Control"].startswith("no-store")
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.req("R-MOB-1")
@pytest.mark.django_db
def test_health_endpoint_and_no_store(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response["Cache-Control"].startswith("no-store")


@pytest.mark.req("R-SRV-1")
@pytest.mark.django_db
def test_csrf_enforced_on_forms():
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post("/i18n/setlang/", {"language": "en"})
    assert response.status_code == 403
    assert "X-Request-ID" in response


@pytest.mark.req("R-WEB-5", "R-SEC-1")
@pytest.mark.django_db
def test_request_id_from_a_trusted_proxy_only_when_configured_and_well_formed(client, settings):
    proxied = {"HTTP_X_REQUEST_ID": "lb-7f3a9c21e0d4"}
    assert client.get("/api/v1/health", **proxied)["X-Request-ID"] != "lb-7f3a9c21e0d4"  # off by default
    settings.TRUST_REQUEST_ID = True
    assert client.get("/api/v1/health", **proxied)["X-Request-ID"] == "lb-7f3a9c21e0d4"
    for bad in ("short", "x" * 33, "id with spaces", "<script>alert(1)</script>"):
        assert client.get("/api/v1/health", HTTP_X_REQUEST_ID=bad)["X-Request-ID"] != bad
