"""The unidentified-payments page in headless Chromium at 1280 px (staff) and 390 px, in Russian,
Kazakh and English: assignment and return forms readable, nothing wider than the screen; screenshots
in var/test-artifacts/servicing-suspense-*.png."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.test import Client as TestClient
from playwright.sync_api import expect

from qaryz.access.testing import make_staff, sign_in_staff
from qaryz.servicing import repayments
from qaryz.servicing.adapters.acquirer_embedded import EmbeddedIncomingBank
from qaryz.servicing.tests.factories import active_loan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.req("R-ACC-1", "R-CAB-6")
def test_suspense_page_reads_well_in_every_language(page, live_server, lending_setup, artifacts_dir):
    active_loan(lending_setup, dt.date(2026, 12, 10))
    bank = EmbeddedIncomingBank()
    bank.statement()
    bank.push_transfer(
        amount=4200_00,
        purpose="за маму, договор не помню",
        payer_name="Тестов Т.",
        payer_account="KZ86125KZT5004100100",
    )
    bank.push_transfer(amount=150_00, purpose="без реквизитов")
    repayments.fetch_statement()
    staff = TestClient()
    sign_in_staff(staff, make_staff("cash_desk"))
    cookie = staff.cookies[django_settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    words = {"ru": "Вернуть плательщику", "kk": "Төлеушіге қайтару", "en": "Return to the payer"}
    for language, heading in words.items():
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto("/servicing/suspense/")
            expect(page.locator("table.data")).to_contain_text(heading)
            expect(page.locator("table.data")).to_contain_text("KZ86125KZT5004100100")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, (language, width, overflow)
            page.screenshot(
                path=str(artifacts_dir / f"servicing-suspense-{language}-{width}.png"), full_page=True
            )
