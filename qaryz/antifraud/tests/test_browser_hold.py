"""In headless Chromium (R-AF-1): a hold raised at contract signing stops the client with a
translated message; a security officer releases it in the back office; the client signs. Then the
antifraud staff pages at 1280 px in ru, kk and en: no horizontal overflow, no raw code.
Screenshots in var/test-artifacts/antifraud/."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client as TestClient

from qaryz.access.testing import make_staff, sign_in_client, sign_in_staff
from qaryz.antifraud.models import Case, Hold, RuleSet
from qaryz.antifraud.tests.helpers import activate
from qaryz.antifraud.tests.test_pages import RAW
from qaryz.lending import services as lending
from qaryz.lending.models import Contract
from qaryz.lending.tests.test_signing import approved, passed_biometrics

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.req("R-AF-1")]
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"


def _cookie(sign_in, who) -> str:  # type: ignore[no-untyped-def]
    web = TestClient()
    sign_in(web, who)
    return web.cookies[django_settings.SESSION_COOKIE_NAME].value


def _context(chromium, live_server, cookie: str, language: str, width: int = 1280):  # type: ignore[no-untyped-def]
    context = chromium.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
    context.add_cookies(
        [
            {"name": django_settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
            {"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url},
        ]
    )
    return context


def test_a_hold_at_signing_released_by_a_security_officer(
    chromium, live_server, artifacts_dir, lending_setup
):
    folder = artifacts_dir / "antifraud"
    folder.mkdir(parents=True, exist_ok=True)
    app = approved(lending_setup, kind="entrepreneur")
    contract = lending.prepare_contract(app)
    passed_biometrics(app.client)
    activate(
        [
            {"code": "leak", "kind": "data_leak", "outcome": "hold", "title": "Данные клиента утекли"},
            {
                "code": "sign-iin",
                "kind": "velocity_iin",
                "outcome": "hold",
                "event_kinds": ["signing"],
                "params": {"threshold": 1, "window_minutes": 5},
                "title": "Каждое подписание на проверку",
            },
        ]
    )
    officer = make_staff("security", username="bekzat")

    client_page = _context(chromium, live_server, _cookie(sign_in_client, app.client), "ru").new_page()
    client_page.goto(f"/lending/applications/{app.pk}/contract/")
    client_page.click("#complete-signing")
    client_page.wait_for_load_state()
    assert "проверяет служба безопасности" in client_page.content()
    client_page.screenshot(path=str(folder / "client-held-ru-1280.png"), full_page=True)
    contract.refresh_from_db()
    assert contract.status == Contract.Status.DRAFT

    desk = _context(chromium, live_server, _cookie(sign_in_staff, officer), "ru").new_page()
    desk.goto("/backoffice/")
    desk.click("nav >> text=Антифрод")
    desk.click("text=Приостановленные операции ждут решения")
    desk.click("#alerts tbody tr a")
    assert "Подписание договора" in desk.inner_text("h1")
    desk.screenshot(path=str(folder / "alert-held-ru-1280.png"), full_page=True)
    desk.fill("#id_reason", "Клиент подтвердил операцию по телефону")
    desk.click("#release")
    desk.wait_for_selector("#hold-status")
    assert desk.inner_text("#hold-status") == "Разрешено"
    assert Hold.objects.get().status == "released"

    client_page.click("#complete-signing")
    client_page.wait_for_load_state()
    assert "Договор подписан" in client_page.content() or "подписан" in client_page.content()
    contract.refresh_from_db()
    assert contract.status == Contract.Status.SIGNED

    desk.click("#open-case")
    desk.wait_for_selector("#case-status")
    case = Case.objects.get()
    rs = RuleSet.objects.get(status="active")
    for language in ("ru", "kk", "en"):
        view = _context(chromium, live_server, _cookie(sign_in_staff, officer), language).new_page()
        for name, url in (
            ("alerts", "/backoffice/antifraud/?show=all"),
            ("alert", f"/backoffice/antifraud/alerts/{Hold.objects.get().alert_id}/"),
            ("cases", "/backoffice/antifraud/cases/"),
            ("case", f"/backoffice/antifraud/cases/{case.pk}/"),
            ("rulesets", "/backoffice/antifraud/rules/"),
            ("ruleset", f"/backoffice/antifraud/rules/{rs.pk}/"),
        ):
            view.goto(url)
            assert view.evaluate(OVERFLOW) <= 0, (name, language)
            html = view.content()
            assert not RAW.search(html), (name, language, RAW.search(html).group(0))
            assert f'lang="{language}"' in html
            view.screenshot(path=str(folder / f"{name}-{language}-1280.png"), full_page=True)
        view.context.close()
