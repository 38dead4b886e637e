"""In headless Chromium: a client gives the additional consent and receives the money from the bank
simulator (asynchronous webhook within seconds); the cashier's screens. Screenshots at 390 and
1280 px in ru and kk go to var/test-artifacts/ (R-DISB-1, R-DISB-4, R-DISB-5)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.conf import settings as django_settings
from django.test import Client as DjangoClient
from django.utils import timezone
from playwright.sync_api import expect

from qaryz.access.testing import make_staff, sign_in_client, sign_in_staff
from qaryz.clients.models import Client
from qaryz.servicing.models import Loan
from qaryz.servicing.tests.payout_helpers import ready_loan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ENGLISH = ("Receive the money", "Before the payout", "Cash desk: loans", "Identification", "Status")


def _context(chromium, live_server, lang: str, width: int, cookie: str):
    context = chromium.new_context(
        base_url=live_server.url, locale=f"{lang}-KZ", viewport={"width": width, "height": 900}
    )
    context.add_cookies(
        [
            {"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url},
            {"name": django_settings.LANGUAGE_COOKIE_NAME, "value": lang, "url": live_server.url},
        ]
    )
    return context


def _no_overflow(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.req("R-DISB-1", "R-DISB-5")
def test_client_consents_and_receives_the_money(
    chromium, live_server, lending_setup, settings, artifacts_dir
):
    settings.PAYOUT_BANK, settings.PAYOUT_SIM_MODE, settings.PAYOUT_SIM_ACCOUNTS = "embedded", "normal", {}
    settings.PAYOUT_SIM_AUTO_DELIVER, settings.PAYOUT_SIM_DELAY_SECONDS = True, 1
    settings.PAYOUT_SIM_WEBHOOK_URL = f"{live_server.url}/servicing/payouts/webhook/"
    loan = ready_loan(lending_setup, consent=False)
    jar = DjangoClient()
    sign_in_client(jar, loan.client)
    cookie = jar.cookies[django_settings.SESSION_COOKIE_NAME].value
    url = f"/servicing/loans/{loan.pk}/payout/"
    for lang in ("ru", "kk"):
        for width in (390, 1280):
            context = _context(chromium, live_server, lang, width, cookie)
            page = context.new_page()
            page.goto(url)
            expect(page.locator("#consent-button")).to_be_visible()
            text = page.inner_text("main") if page.locator("main").count() else page.inner_text("body")
            assert not [w for w in ENGLISH if w in text], text
            _no_overflow(page)
            page.screenshot(path=str(artifacts_dir / f"payout-consent-{lang}-{width}.png"), full_page=True)
            context.close()
    context = _context(chromium, live_server, "ru", 390, cookie)
    page = context.new_page()
    page.goto(url)
    page.click("#consent-button")
    page.click("#receive-button")
    expect(page.locator("#payout-status")).to_have_attribute("data-state", "sent")
    for _ in range(40):  # the simulator's webhook arrives within seconds
        time.sleep(0.5)
        page.goto(url)
        if page.locator("#payout-status").get_attribute("data-state") == "paid":
            break
    expect(page.locator("#payout-status")).to_have_attribute("data-state", "paid")
    page.screenshot(path=str(artifacts_dir / "payout-paid-ru-390.png"), full_page=True)
    context.close()
    loan.refresh_from_db()
    assert loan.status == Loan.Status.ACTIVE


@pytest.mark.req("R-DISB-4")
def test_cashier_screens(chromium, live_server, lending_setup, settings, artifacts_dir):
    loan = ready_loan(lending_setup, method="cash_desk", register=None)
    Client.objects.filter(pk=loan.client_id).update(
        id_doc_type="id_card",
        id_doc_number="043512789",
        id_doc_expiry=timezone.localdate() + dt.timedelta(days=900),
    )
    jar = DjangoClient()
    sign_in_staff(jar, make_staff("cash_desk"))
    cookie = jar.cookies[django_settings.SESSION_COOKIE_NAME].value
    for lang in ("ru", "kk"):
        for width in (390, 1280):
            context = _context(chromium, live_server, lang, width, cookie)
            page = context.new_page()
            page.goto("/backoffice/cash-desk/")
            expect(page.locator("#cash-queue")).to_contain_text(loan.number)
            page.screenshot(path=str(artifacts_dir / f"cash-desk-{lang}-{width}.png"), full_page=True)
            page.goto(f"/backoffice/cash-desk/{loan.pk}/")
            text = page.inner_text("body")
            assert not [w for w in ENGLISH if w in text], text
            _no_overflow(page)
            page.screenshot(path=str(artifacts_dir / f"cash-payout-{lang}-{width}.png"), full_page=True)
            context.close()
    context = _context(chromium, live_server, "kk", 1280, cookie)
    page = context.new_page()
    page.goto(f"/backoffice/cash-desk/{loan.pk}/")
    page.select_option("#id_doc_type", "id_card")
    page.fill("#id_doc_number", "043512789")
    page.check("#id_identified")
    page.click("#pay-cash")
    expect(page.locator("#cash-queue")).not_to_contain_text(loan.number)
    context.close()
    # Maker–checker (issue 14): the cash waits for a second staff member's approval.
    from qaryz.servicing import approvals
    from qaryz.servicing.models import Payout

    loan.refresh_from_db()
    assert loan.status != Loan.Status.ACTIVE
    approvals.approve(Payout.objects.get(loan=loan).approval, checker=make_staff("accountant"))
    loan.refresh_from_db()
    assert loan.status == Loan.Status.ACTIVE
