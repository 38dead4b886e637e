"""The servicing-era pages in headless Chromium at 390 px and 1280 px, in ru and kk: the client's
loan, payments, early repayment, restructuring (form and agreement), changed-terms request; the
staff's loan card, suspense, cash desk, credit bureau, collections and fraud cases. Screenshots in
var/test-artifacts/servicing-pages/; no page wider than the window, every page in its language."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings as django_settings
from django.test import Client as TestClient
from django.utils import timezone

from qaryz.access.testing import make_staff, sign_in_client, sign_in_staff
from qaryz.servicing import repayments, restructuring
from qaryz.servicing.adapters.acquirer_embedded import EmbeddedIncomingBank
from qaryz.servicing.tests.test_restructuring import ON, late_loan  # noqa: F401 – the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def _cookie(sign_in, who) -> str:  # type: ignore[no-untyped-def]
    web = TestClient()
    sign_in(web, who)
    return web.cookies[django_settings.SESSION_COOKIE_NAME].value


@pytest.mark.req("R-WEB-1", "R-CAB-5")
def test_servicing_pages_fit_390_and_1280_px_in_ru_and_kk(chromium, live_server, artifacts_dir, late_loan):  # noqa: F811
    loan = late_loan
    folder = artifacts_dir / "servicing-pages"
    folder.mkdir(parents=True, exist_ok=True)
    with time_machine.travel(dt.datetime.combine(ON, dt.time(12), tzinfo=timezone.get_current_timezone())):
        draft = restructuring.propose_restructuring(loan, kind="new_term", term_months=18, on=ON)
        bank = EmbeddedIncomingBank()
        bank.statement()
        repayments.import_statement(
            [bank.push_transfer(amount=1500_00, purpose="оплата без номера", value_date=ON)]
        )
        staff = make_staff("cash_desk", username="petrova")
        from django.contrib.auth.models import Group

        for role in ("collections_officer", "compliance", "write_off_approver", "accountant"):
            staff.groups.add(Group.objects.get(name=role))
        client_pages = [
            "/servicing/loans/",
            f"/servicing/loans/{loan.pk}/",
            f"/servicing/loans/{loan.pk}/payments/",
            f"/servicing/loans/{loan.pk}/early-repayment/",
            f"/servicing/loans/{loan.pk}/restructuring/{draft.sequence}/",
            f"/collections/loans/{loan.pk}/changed-terms/",
        ]
        staff_pages = [
            "/backoffice/loans/",
            f"/backoffice/loans/{loan.pk}/",
            "/servicing/suspense/",
            "/servicing/cash-desk/payment/",
            "/bureau/",
            "/backoffice/collections/requests/",
            "/backoffice/collections/write-offs/",
            "/backoffice/fraud-cases/",
            "/backoffice/fraud-cases/new/",
        ]
        walks = [
            ("client", _cookie(sign_in_client, loan.client), client_pages),
            ("staff", _cookie(sign_in_staff, staff), staff_pages),
        ]
        failures: list[str] = []
        for language in ("ru", "kk"):
            for who, cookie, pages in walks:
                for width in (390, 1280):
                    context = chromium.new_context(
                        base_url=live_server.url, viewport={"width": width, "height": 900}
                    )
                    context.add_cookies(
                        [
                            {
                                "name": django_settings.LANGUAGE_COOKIE_NAME,
                                "value": language,
                                "url": live_server.url,
                            },
                            {
                                "name": django_settings.SESSION_COOKIE_NAME,
                                "value": cookie,
                                "url": live_server.url,
                            },
                        ]
                    )
                    page = context.new_page()
                    for url in pages:
                        response = page.goto(url)
                        name = f"{who}-{re.sub(r'[^a-z0-9]+', '-', url).strip('-')}-{language}-{width}.png"
                        page.screenshot(path=str(folder / name), full_page=True)
                        if response is None or response.status != 200:
                            failures.append(f"{name}: HTTP {response.status if response else '?'}")
                        if page.evaluate("document.documentElement.lang") != language:
                            failures.append(f"{name}: page not in {language}")
                        overflow = page.evaluate(OVERFLOW)
                        if overflow > 0:
                            failures.append(f"{name}: {overflow} px wider than the window")
                    context.close()
    assert not failures, "\n".join(failures)
