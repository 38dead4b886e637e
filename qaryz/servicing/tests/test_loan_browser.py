"""The loan pages in headless Chromium at phone and desktop widths, in Russian and Kazakh
(R-CAB-5, R-CAB-6); screenshots go to var/test-artifacts/servicing-*.png."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from qaryz.core import demo as core_demo
from qaryz.lending.tests.test_browser import browser_session
from qaryz.servicing.tests.factories import active_loan
from qaryz.servicing.tests.test_loan_pages import make_second_instalment_overdue, pay_first_instalment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.req("R-CAB-5", "R-CAB-6")
def test_loan_page_reads_well_on_phone_and_desktop_in_ru_and_kk(
    page, live_server, lending_setup, artifacts_dir, settings
):
    settings.SERVICING_CASH_DESKS = [
        {
            "kind": "cash_desk",
            "name": "Касса Qaryz",
            "address": "г. Алматы, ул. Панфилова, 98",
            "hours": "Пн–Пт 09:00–18:00",
        },
        {"kind": "terminal", "name": "Kassa24", "address": "ТРЦ Mega Alma-Ata", "hours": "24/7"},
    ]
    core_demo.load_demo(io.StringIO())  # the MFO profile with its bank details (R-CAB-6)
    loan = active_loan(lending_setup, timezone.localdate() - dt.timedelta(days=70))
    pay_first_instalment(loan)
    make_second_instalment_overdue(loan, days=9)
    browser_session(page, live_server, loan.client)
    for language in ("ru", "kk"):
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        for width in (390, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"/servicing/loans/{loan.pk}/")
            expect(page.locator("#debt-split")).to_be_visible()
            expect(page.locator("#payment-reference")).to_have_text(loan.payment_reference)
            expect(page.locator("#mfo-iik")).to_have_text(core_demo.DEMO_PROFILE["bank_account"])
            assert page.locator("#schedule tr[data-state=paid]").count() == 1
            assert page.locator("#schedule tr[data-state=overdue]").count() == 1
            # Nothing wider than the screen except inside the scrolling table wrappers.
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, (language, width, overflow)
            page.screenshot(
                path=str(artifacts_dir / f"servicing-loan-{language}-{width}.png"), full_page=True
            )
        page.goto("/servicing/loans/")
        expect(page.locator("#loans")).to_contain_text(loan.number)
        page.screenshot(path=str(artifacts_dir / f"servicing-loans-{language}-390.png"), full_page=True)


@pytest.mark.req("R-ACC-1")
def test_staff_loan_card_and_early_calculator_screens(page, live_server, lending_setup, artifacts_dir):
    from django.conf import settings as django_settings
    from django.test import Client as TestClient

    from qaryz.access.testing import make_staff, sign_in_staff

    loan = active_loan(lending_setup, timezone.localdate() - dt.timedelta(days=70))
    pay_first_instalment(loan)
    make_second_instalment_overdue(loan, days=9)
    staff = TestClient()
    sign_in_staff(staff, make_staff("accountant"))
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": staff.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    for language in ("ru", "kk"):
        page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
        for width in (390, 1280):
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"/backoffice/loans/{loan.pk}/")
            expect(page.locator("#transfer-table")).to_be_visible()
            assert (
                page.locator("#transfer-table tbody tr").count() == 9
            )  # 2 payout, 1 accrual, 2 payment, 4 overdue
            page.screenshot(
                path=str(artifacts_dir / f"servicing-staff-card-{language}-{width}.png"), full_page=True
            )
    page.context.clear_cookies()
    browser_session(page, live_server, loan.client)
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(f"/servicing/loans/{loan.pk}/early-repayment/")
    page.screenshot(path=str(artifacts_dir / "servicing-early-ru-390.png"), full_page=True)
    page.goto("/cabinet/")
    expect(page.locator("#my-loans")).to_contain_text(loan.number)
    page.screenshot(path=str(artifacts_dir / "servicing-cabinet-home-ru-390.png"), full_page=True)
