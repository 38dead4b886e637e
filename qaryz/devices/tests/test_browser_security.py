"""In headless Chromium (R-AUTH-6, R-WEB-1): the security page with a web session, a bound app
(flagged at risk, with a location) and an unbound token, at 390 px and 1280 px in ru, kk and en;
then the client unbinds the device. Screenshots in var/test-artifacts/devices/."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client as TestClient

from qaryz.access.services import issue_api_token
from qaryz.access.testing import make_client, sign_in_client
from qaryz.devices.models import Device

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
ENGLISH = (
    "Active sessions",
    "Recent sign-ins",
    "Devices with",
    "unbind",
    "at risk",
    "this session",
    "browser",
)


@pytest.mark.req("R-AUTH-6", "R-MOB-1", "R-WEB-1")
def test_security_page_in_the_browser(chromium, live_server, artifacts_dir, signed_in_app):
    folder = artifacts_dir / "devices"
    folder.mkdir(parents=True, exist_ok=True)
    person = make_client(preferred_language="ru", surname="Касымова", given_name="Динара")
    _person, app = signed_in_app(person=person)
    path = "/api/v1/devices/current/integrity"
    app.call("POST", "/api/v1/applications", {"product": "x", "amount": "1", "term_months": 1})  # a location
    app.call("POST", path, {"rooted": True, "screen_sharing": True})
    issue_api_token(person, device_id="partner-server")
    web = TestClient()
    sign_in_client(web, person)
    cookie = web.cookies[django_settings.SESSION_COOKIE_NAME].value

    failures: list[str] = []
    for language in ("ru", "kk", "en"):
        for width in (390, 1280):
            context = chromium.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
            context.add_cookies(
                [
                    {"name": django_settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
                    {"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url},
                ]
            )
            page = context.new_page()
            response = page.goto("/cabinet/security/")
            name = f"security-{language}-{width}.png"
            page.screenshot(path=str(folder / name), full_page=True)
            if response is None or response.status != 200:
                failures.append(f"{name}: HTTP {response.status if response else '?'}")
            if page.evaluate("document.documentElement.lang") != language:
                failures.append(f"{name}: page not in {language}")
            if (overflow := page.evaluate(OVERFLOW)) > 0:
                failures.append(f"{name}: {overflow} px wider than the window")
            text = page.inner_text("main") if page.query_selector("main") else page.inner_text("body")
            if language != "en" and (english := [w for w in ENGLISH if w in text]):
                failures.append(f"{name}: English on the page: {english}")
            if "Pixel 8" not in text or "partner-server" not in text:
                failures.append(f"{name}: a session or device is missing")
            context.close()
    assert not failures, "\n".join(failures)

    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.add_cookies(
        [
            {"name": django_settings.LANGUAGE_COOKIE_NAME, "value": "ru", "url": live_server.url},
            {"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url},
        ]
    )
    page = context.new_page()
    page.goto("/cabinet/")
    page.click("nav >> text=Безопасность")
    page.click(f"tr[data-device='{app.device_id}'] button")
    page.wait_for_selector("text=Устройство отвязано")
    page.screenshot(path=str(folder / "security-unbound-ru-1280.png"), full_page=True)
    assert Device.objects.get().revoked_at is not None
    assert page.query_selector(f"tr[data-device='{app.device_id}']") is None
    context.close()


@pytest.mark.req("R-MOB-1", "R-WEB-1")
def test_staff_client_card_devices_in_the_browser(chromium, live_server, artifacts_dir, signed_in_app):
    from qaryz.access.testing import make_staff, sign_in_staff

    folder = artifacts_dir / "devices"
    folder.mkdir(parents=True, exist_ok=True)
    person, app = signed_in_app()
    app.call("POST", "/api/v1/applications", {"product": "x", "amount": "1", "term_months": 1})
    app.location = "denied"
    app.call("POST", "/api/v1/applications", {"product": "x", "amount": "1", "term_months": 1})
    app.call("POST", "/api/v1/devices/current/integrity", {"remote_control": True})
    web = TestClient()
    sign_in_staff(web, make_staff("support"))
    cookie = web.cookies[django_settings.SESSION_COOKIE_NAME].value
    failures: list[str] = []
    for language in ("ru", "kk", "en"):
        context = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
        context.add_cookies(
            [
                {"name": django_settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
                {"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url},
            ]
        )
        page = context.new_page()
        response = page.goto(f"/backoffice/clients/{person.pk}/")
        page.locator("#app-devices").screenshot(path=str(folder / f"staff-card-devices-{language}-1280.png"))
        if response is None or response.status != 200:
            failures.append(f"{language}: HTTP {response.status if response else '?'}")
        if (overflow := page.evaluate(OVERFLOW)) > 0:
            failures.append(f"{language}: {overflow} px wider than the window")
        text = page.inner_text("#app-devices")
        if language != "en" and any(w in text for w in ("Locations of", "permission refused", "at risk")):
            failures.append(f"{language}: English in the devices section")
        context.close()
    assert not failures, "\n".join(failures)
