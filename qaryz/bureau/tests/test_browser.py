"""The credit-bureau page in headless Chromium at phone and desktop widths, in Russian and Kazakh:
nothing wider than the screen except inside the scrolling table wrappers; screenshots in
var/test-artifacts/bureau-*.png."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client as _TestClient
from playwright.sync_api import expect

from qaryz.access.testing import make_staff, sign_in_staff
from qaryz.bureau.tests.test_pages import a_feed_with_a_rejection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.req("R-CB-1")
def test_bureau_page_fits_a_phone_in_ru_and_kk(chromium, live_server, lending_setup, artifacts_dir):
    a_feed_with_a_rejection(lending_setup)
    staff = _TestClient()
    sign_in_staff(staff, make_staff("compliance"))
    session = staff.cookies[settings.SESSION_COOKIE_NAME].value
    for language in ("ru", "kk"):
        for width in (390, 1280):
            context = chromium.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
            context.add_cookies(
                [
                    {"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url},
                    {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
                ]
            )
            page = context.new_page()
            page.goto("/bureau/")
            expect(page.locator("#rejected-records")).to_be_visible()
            expect(page.locator("#persons")).to_contain_text("bureau-ivanova")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, (language, width, overflow)
            page.screenshot(path=str(artifacts_dir / f"bureau-{language}-{width}.png"), full_page=True)
            context.close()
