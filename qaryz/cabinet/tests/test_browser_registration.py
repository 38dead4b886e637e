"""End to end in Chromium: registration with the code read from the embedded SMS outbox, then
sign-in with password + SMS code (R-ONB-8, R-AUTH-1, R-AUTH-4, R-WEB-1, R-WEB-3, R-WEB-4)."""

import re

import pytest

from qaryz.access.testing import make_iin
from qaryz.clients.models import Client
from qaryz.messaging.models import EmbeddedSms

PHONE = "+77015550909"
PASSWORD = "Steppe-Eagle-Flight-88"


def _last_code(phone: str) -> str:
    message = EmbeddedSms.objects.filter(phone=phone).order_by("-id").first()
    return re.search(r"\b(\d{6})\b", message.text).group(1)


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
@pytest.mark.req("R-ONB-8", "R-AUTH-1", "R-AUTH-4", "R-WEB-1", "R-WEB-3", "R-WEB-4")
def test_register_then_sign_in(page, live_server, artifacts_dir, transactional_db):
    page.goto("/register/")
    page.select_option("select[name=kind]", "individual")
    assert page.is_hidden("input[name=bin]")  # entity fields hidden for a person (JS file, no inline script)
    page.fill("input[name=iin]", make_iin("950505", "4"))
    page.fill("input[name=surname]", "Жумабекова")
    page.fill("input[name=given_name]", "Алия")
    page.fill("input[name=phone]", "8 701 555 09 09")
    assert page.locator(".consent-text").is_visible()
    page.fill("input[name=address]", "г. Алматы, ул. Абая, 10, кв. 5")
    page.check("input[name=pd_consent]")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/register/code/")
    page.fill("input[name=code]", _last_code(PHONE))
    page.click("button[name=verify]")
    page.wait_for_url("**/register/password/")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    assert page.get_attribute("input[name=password1]", "type") == "password"
    page.locator("input[name=password1] + button.secret-toggle").click()
    assert page.get_attribute("input[name=password1]", "type") == "text"  # optional show toggle
    page.locator("input[name=password1] + button.secret-toggle").click()
    page.click("button[type=submit].primary")
    page.wait_for_url("**/register/finish/")
    assert "/biometrics/verify/?purpose=registration" in page.content()
    client = Client.objects.get(phone=PHONE)
    assert client.status == Client.Status.REGISTERED
    page.screenshot(path=str(artifacts_dir / "access-finish-registration.png"), full_page=True)

    # Confirmation happens in the biometrics/EDS rooms; here the test marks it to test sign-in.
    Client.objects.filter(pk=client.pk).update(status=Client.Status.CONFIRMED)
    page.click('form[action="/logout/"] button')
    page.wait_for_url("**/login/")
    assert page.locator("#cyber-hygiene").is_visible()
    assert page.get_attribute("form.stacked", "autocomplete") == "off"
    page.screenshot(path=str(artifacts_dir / "access-login.png"), full_page=True)
    page.fill("input[name=phone]", PHONE)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/login/code/")
    page.fill("input[name=code]", _last_code(PHONE))
    page.click("button[name=verify]")
    page.wait_for_url("**/cabinet/")
    assert "Жумабекова" in page.content()
    page.screenshot(path=str(artifacts_dir / "access-cabinet.png"), full_page=True)
    # Nothing about the credentials is kept in the browser's storage.
    storage = page.evaluate(
        "() => JSON.stringify(Object.assign({}, window.localStorage, window.sessionStorage))"
    )
    assert PASSWORD not in storage and PHONE not in storage
    cookies = page.context.cookies()
    assert all(PASSWORD not in c["value"] for c in cookies)
    assert [c for c in cookies if c["name"] == "sessionid"][0]["httpOnly"]
