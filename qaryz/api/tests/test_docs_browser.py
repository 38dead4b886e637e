"""The interactive API docs at /api/v1/docs render in headless Chromium (R-CH-1): Swagger UI comes
from the project's own static files, so the CSP (script-src 'self', no CDN) blocks nothing and
every operation group is listed. Screenshot in var/test-artifacts/api-docs/."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.req("R-CH-1")
def test_the_docs_page_renders_operations_under_the_csp(chromium, live_server, artifacts_dir):
    folder = artifacts_dir / "api-docs"
    folder.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)
    response = page.goto("/api/v1/docs")
    assert response is not None and response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".opblock", timeout=20000)
    page.screenshot(path=str(folder / "docs-1280.png"))
    operations = page.locator(".opblock").count()
    assert operations > 50, operations
    assert page.locator(".opblock-tag", has_text="cabinet").count() == 1
    body = page.inner_text("body")
    assert "/api/v1/cabinet/mfo" in body and "/api/v1/access/changes" in body
    # An operation opens with its parameters and its answers, the error body among them.
    page.locator("#operations-cabinet-qaryz_cabinet_api_mfo .opblock-summary").click()
    page.wait_for_selector("#operations-cabinet-qaryz_cabinet_api_mfo .responses-table", timeout=10000)
    opened = page.inner_text("#operations-cabinet-qaryz_cabinet_api_mfo")
    assert "401" in opened and "legal_name" in opened
    page.locator("#operations-cabinet-qaryz_cabinet_api_mfo").screenshot(
        path=str(folder / "operation-1280.png")
    )
    assert refused == [] and outside == [], (refused, outside)
    context.close()
    phone = chromium.new_context(base_url=live_server.url, viewport={"width": 390, "height": 844})
    small = phone.new_page()
    small.goto("/api/v1/docs")
    small.wait_for_selector(".opblock", timeout=20000)
    small.screenshot(path=str(folder / "docs-390.png"))
    phone.close()
