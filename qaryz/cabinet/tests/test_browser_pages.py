"""Every client and staff page at 390 px and 1280 px, in ru and kk: screenshots in
var/test-artifacts/pages/ and no horizontal overflow (issue 11, item 10; R-WEB-1).

At 390 px the navigation folds behind a menu button that opens it; at 1280 px the schedule and
offer tables show every column without scrolling inside their box.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings as django_settings
from django.test import Client as TestClient

from qaryz.access.testing import sign_in_client, sign_in_staff
from qaryz.cabinet.tests.scene import PUBLIC_PAGES, build_scene

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (390, 1280)
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
# Tables whose box is narrower than the table (columns hidden behind a scroll bar).
CLIPPED_TABLES = """[...document.querySelectorAll('.table-scroll')]
  .filter(box => box.scrollWidth > box.clientWidth + 1).length"""


def _slug(url: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", url.lower()).strip("-") or "home"


def _cookie(page, live_server, name: str, value: str) -> None:  # type: ignore[no-untyped-def]
    page.context.add_cookies([{"name": name, "value": value, "url": live_server.url}])


@pytest.mark.req("R-WEB-1")
@pytest.mark.parametrize("language", ["ru", "kk"])
def test_every_page_fits_390_and_1280_px(chromium, live_server, settings, artifacts_dir, language):
    settings.DEMO_MODE = True
    scene = build_scene(serial=7400 + (language == "kk"))
    folder = artifacts_dir / "pages"
    folder.mkdir(parents=True, exist_ok=True)
    web = TestClient()
    sign_in_client(web, scene.client)
    client_cookie = web.cookies[django_settings.SESSION_COOKIE_NAME].value
    staff = TestClient()
    sign_in_staff(staff, scene.staff)
    staff_cookie = staff.cookies[django_settings.SESSION_COOKIE_NAME].value
    walks = [("public", None, PUBLIC_PAGES), ("client", client_cookie, scene.client_pages())]
    walks.append(("staff", staff_cookie, scene.staff_pages()))
    failures: list[str] = []
    for who, cookie, pages in walks:
        for width in WIDTHS:
            context = chromium.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
            page = context.new_page()
            _cookie(page, live_server, django_settings.LANGUAGE_COOKIE_NAME, language)
            if cookie:
                _cookie(page, live_server, django_settings.SESSION_COOKIE_NAME, cookie)
            for url in pages:
                page.goto(url)
                name = f"{who}-{_slug(url)}-{language}-{width}.png"
                page.screenshot(path=str(folder / name), full_page=True)
                if page.evaluate("document.documentElement.lang") != language:
                    failures.append(f"{name}: page not in {language}")
                overflow = page.evaluate(OVERFLOW)
                if overflow > 0:
                    failures.append(f"{name}: {overflow} px wider than the window")
                if width == 1280 and page.evaluate(CLIPPED_TABLES):
                    failures.append(f"{name}: a table hides columns at 1280 px")
            if width == 390 and who != "public":
                # The navigation is folded behind the menu button, which opens it.
                assert page.locator(".topnav").is_hidden()
                page.click(".menu-button")
                assert page.locator(".topnav").is_visible()
                page.screenshot(path=str(folder / f"{who}-menu-open-{language}-390.png"))
            context.close()
    assert not failures, "\n".join(failures)
