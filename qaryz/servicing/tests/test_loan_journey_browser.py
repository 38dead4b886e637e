"""End to end in headless Chromium (issue 10 "Done means"): a client's signed contract is paid out
by the bank simulator (asynchronous webhook), the client sees the debt and the schedule, pays an
instalment by card, repays part of the loan early with the new schedule shown before confirming,
and downloads the payments' receipts (R-DISB-1, R-DISB-5, R-CAB-5, R-CAB-6, R-RCPT-1).

The contract is signed through the lending room's services (its own browser test signs in the
browser with biometrics and EDS); everything after the signature happens in the browser here."""

from __future__ import annotations

import time

import pytest
from django.conf import settings as django_settings
from django.test import Client as DjangoClient
from playwright.sync_api import expect

from qaryz.access.testing import sign_in_client
from qaryz.servicing.models import Loan, Payment
from qaryz.servicing.tests.payout_helpers import ready_loan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.req("R-DISB-1", "R-DISB-5", "R-CAB-5", "R-CAB-6", "R-RCPT-1")
def test_paid_out_loan_is_seen_paid_by_card_and_repaid_early_with_receipts(
    chromium, live_server, lending_setup, settings, artifacts_dir
):
    settings.PAYOUT_BANK, settings.PAYOUT_SIM_MODE, settings.PAYOUT_SIM_ACCOUNTS = "embedded", "normal", {}
    settings.PAYOUT_SIM_AUTO_DELIVER, settings.PAYOUT_SIM_DELAY_SECONDS = True, 1
    settings.PAYOUT_SIM_WEBHOOK_URL = f"{live_server.url}/servicing/payouts/webhook/"
    loan = ready_loan(lending_setup, consent=False)
    jar = DjangoClient()
    sign_in_client(jar, loan.client)
    context = chromium.new_context(
        base_url=live_server.url, locale="ru-KZ", viewport={"width": 390, "height": 900}
    )
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": jar.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()

    # My loans → the loan awaiting its payout → receive the money (consent, then the bank).
    page.goto("/cabinet/")
    page.click(f"#my-loans a[href='/servicing/loans/{loan.pk}/']")
    expect(page.locator("#disbursement-status")).to_have_attribute("data-status", "awaiting")
    page.click("#payout-link")
    page.click("#consent-button")
    page.click("#receive-button")
    for _ in range(40):  # the simulator's webhook arrives within seconds
        if Loan.objects.get(pk=loan.pk).status == Loan.Status.ACTIVE:
            break
        time.sleep(0.5)
    page.goto(f"/servicing/loans/{loan.pk}/")
    expect(page.locator("#disbursement-status")).to_have_attribute("data-status", "paid")
    loan.refresh_from_db()
    expect(page.locator("#debt-total")).to_contain_text(f"{loan.principal // 100:,}".replace(",", "\u00a0"))
    assert page.locator("#schedule tr[data-state=upcoming]").count() == loan.term_months
    page.screenshot(path=str(artifacts_dir / "journey-1-paid-out-ru-390.png"), full_page=True)

    # Pay the first instalment by card (the amount is suggested), through the acquirer's page.
    suggested = page.input_value("#pay-amount")
    assert suggested
    page.click("#pay-card")
    expect(page.locator("#card-amount")).to_be_visible()
    page.fill("#card", "4000 0000 0000 0002")
    page.click("#card-pay")
    expect(page.locator("#card-error")).to_be_visible()  # declined card: nothing posted
    page.fill("#card", "4111 1111 1111 1111")
    page.click("#card-pay")
    expect(page.locator("#payments tbody tr")).to_have_count(1)
    expect(page.locator("[data-line=advance]")).to_be_visible()  # paid ahead of the due date
    page.screenshot(path=str(artifacts_dir / "journey-2-instalment-paid-ru-390.png"), full_page=True)

    # Early partial repayment: quote with the new schedule, pay the rest by card, confirm.
    page.click("#early-link")
    page.check("input[name=mode][value=shorter_term]")
    page.fill("#id_amount", "60 000")
    page.click("#early-calculate")
    expect(page.locator("#quote-schedule")).to_be_visible()
    new_rows = page.locator("#quote-schedule tbody tr").count()
    assert 0 < new_rows < loan.term_months
    page.screenshot(path=str(artifacts_dir / "journey-3-early-quote-ru-390.png"), full_page=True)
    page.click("#early-pay-card")
    page.fill("#card", "4111 1111 1111 1111")
    page.click("#card-pay")
    expect(page.locator("#early-confirm")).to_be_visible()  # back on the quote, now covered
    page.click("#early-confirm")
    expect(page.locator("#loan-status")).to_be_visible()
    loan.refresh_from_db()
    assert loan.schedule_version == 2
    assert (
        page.locator("#schedule tbody tr").count()
        == Loan.objects.get(pk=loan.pk).instalments.filter(version=2).count()
    )
    page.screenshot(path=str(artifacts_dir / "journey-4-after-early-ru-390.png"), full_page=True)

    # Both card payments with their receipts; the receipt downloads as a PDF.
    expect(page.locator("#payments tbody tr")).to_have_count(2)
    links = page.locator("#payments a.receipt-link")
    expect(links).to_have_count(2)
    response = page.request.get(links.first.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert Payment.objects.filter(loan=loan, channel="card").count() == 2
    context.close()
