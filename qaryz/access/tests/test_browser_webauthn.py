"""Headless Chromium with a virtual security key (CDP WebAuthn domain): the client enrols the key at
the second-factor page, signs out, and signs in with password + key (R-AUTH-1, R-AUTH-6, R-WEB-3).

The browser runs the real navigator.credentials.create()/get() against the live server at
http://localhost:<port> – a secure context whose host is a valid RP id (an IP address is not).
"""

import re

import pytest
from playwright.sync_api import expect

from qaryz.access.models import ClientCredential, WebAuthnKey
from qaryz.access.testing import TEST_PASSWORD, make_client
from qaryz.messaging.models import EmbeddedSms

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]


def _last_code(phone: str) -> str:
    message = EmbeddedSms.objects.filter(phone=phone).order_by("-id").first()
    return re.search(r"\b(\d{6})\b", message.text).group(1)


def _virtual_key(page) -> tuple[object, str]:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    answer = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": False,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, answer["authenticatorId"]


def _password_step(page, phone: str) -> None:
    page.goto("/login/")
    page.fill("input[name=phone]", phone)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/login/code/")


@pytest.mark.req("R-AUTH-1", "R-AUTH-6", "R-WEB-3")
def test_enrol_a_security_key_and_sign_in_with_it(page, live_server, artifacts_dir):
    assert live_server.url.startswith("http://localhost:"), live_server.url
    person = make_client()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    cdp, authenticator = _virtual_key(page)

    # Sign in the usual way (SMS code), then enrol the key in the cabinet.
    _password_step(page, person.phone)
    page.fill("input[name=code]", _last_code(person.phone))
    page.click("button[name=verify]")
    page.wait_for_url("**/cabinet/")
    page.goto("/account/second-factor/")
    page.fill("#key-name", "Рабочий ключ")
    page.click("[data-webauthn=enrol] [data-webauthn-start]")
    expect(page.locator(".key-list li")).to_have_count(1)
    expect(page.locator(".key-list li strong")).to_have_text("Рабочий ключ")
    page.screenshot(path=str(artifacts_dir / "access-webauthn-enrolled.png"), full_page=True)
    key = WebAuthnKey.objects.get(client=person)
    assert ClientCredential.objects.get(client=person).second_factor == "webauthn"
    assert "usb" in key.transports
    stored = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert len(stored) == 1 and stored[0]["rpId"] == "localhost"

    # Sign out, then password + key; no SMS code is sent for the second step.
    page.click('form[action="/logout/"] button')
    page.wait_for_url("**/login/")
    sms_before = EmbeddedSms.objects.filter(phone=person.phone).count()
    _password_step(page, person.phone)
    assert page.locator("input[name=code]").count() == 0
    page.screenshot(path=str(artifacts_dir / "access-webauthn-login.png"), full_page=True)
    page.click("[data-webauthn=login] [data-webauthn-start]")
    page.wait_for_url("**/cabinet/")
    expect(page.locator("body")).to_contain_text("Тестов")
    key.refresh_from_db()
    assert key.last_used_at is not None
    counter = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"][0]
    assert key.sign_count == counter["signCount"]
    # Only the sign-in notification was sent by SMS, no code.
    purposes = list(
        EmbeddedSms.objects.filter(phone=person.phone).order_by("id").values_list("purpose", flat=True)
    )
    assert purposes[sms_before:] == ["notification"]
    assert errors == [], errors  # no script error (CSP refuses nothing: the code is a file)
    assert [f for f in failed if "/favicon" not in f] == [], failed

    # Without the key, the second step cannot be passed.
    page.click('form[action="/logout/"] button')
    page.wait_for_url("**/login/")
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": authenticator})
    _password_step(page, person.phone)
    _virtual_key(page)  # a different key, not registered for this client
    page.click("[data-webauthn=login] [data-webauthn-start]")
    expect(page.locator(".webauthn-status.error")).to_be_visible(timeout=15000)
    assert page.url.endswith("/login/code/")
