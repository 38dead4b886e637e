"""The interactive API docs load Swagger UI from this server, never from a CDN (R-CH-1)."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders


@pytest.mark.req("R-CH-1")
@pytest.mark.django_db
def test_docs_page_uses_own_static_files_and_no_inline_script(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.S)
    sources = [re.search(r'src="([^"]+)"', attrs).group(1) for attrs, _body in scripts if "src=" in attrs]
    assert sources == ["/static/ninja/swagger-ui-bundle.js", "/static/ninja/swagger-ui-init.js"]
    # The only inline block is the JSON settings, which the browser does not execute.
    inline = [attrs for attrs, body in scripts if "src=" not in attrs and body.strip()]
    assert inline == [' type="application/json" id="swagger-settings"']
    assert "cdn" not in html.lower() and "/api/v1/openapi.json" in html
    # collectstatic (scripts/start) gathers them from the "ninja" app for WhiteNoise to serve.
    for name in ("swagger-ui-bundle.js", "swagger-ui-init.js", "swagger-ui.css"):
        assert finders.find(f"ninja/{name}"), name
    assert client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/cabinet/mfo"]["get"]
