"""Pages changed for the parties' details (issue 11): the registration page with the address field,
the contract page asking a client registered without an address for it before signing, the
back-office card with the address masked, and the cabinet's MFO page in Kazakh – each at 390 px and
1280 px in ru and kk, screenshots in var/test-artifacts/address/ and no horizontal overflow."""

from __future__ import annotations

import io

import pytest
from django.conf import settings as django_settings
from django.test import Client as TestClient

from qaryz.access.testing import sign_in_client, sign_in_staff
from qaryz.cabinet.tests.scene import build_scene
from qaryz.clients.models import Client
from qaryz.core import demo as core_demo

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
OVERFLOW = "document.documentElement.scrollWidth - window.innerWidth"
ADDRESS = "г. Алматы, ул. Абая, 10, кв. 5"


def _cookie(page, live_server, name: str, value: str) -> None:  # type: ignore[no-untyped-def]
    page.context.add_cookies([{"name": name, "value": value, "url": live_server.url}])


@pytest.mark.req("R-WEB-1", "R-CAB-3")
@pytest.mark.parametrize("language", ["ru", "kk"])
def test_address_pages_fit_and_the_contract_page_takes_the_address(
    chromium, live_server, settings, artifacts_dir, language
):
    settings.DEMO_MODE = True
    core_demo.load_demo(io.StringIO())
    scene = build_scene(serial=7500 + (language == "kk"))
    Client.objects.filter(pk=scene.client.pk).update(address="")  # registered before it was collected
    folder = artifacts_dir / "address"
    folder.mkdir(parents=True, exist_ok=True)
    web, staff = TestClient(), TestClient()
    sign_in_client(web, scene.client)
    sign_in_staff(staff, scene.staff)
    contract = f"/lending/applications/{scene.approved.pk}/contract/"
    walks = [
        ("public", None, ["/register/"]),
        ("client", web.cookies[django_settings.SESSION_COOKIE_NAME].value, [contract, "/cabinet/mfo/"]),
        (
            "staff",
            staff.cookies[django_settings.SESSION_COOKIE_NAME].value,
            [f"/backoffice/clients/{scene.client.pk}/"],
        ),
    ]
    failures: list[str] = []
    for who, cookie, pages in walks:
        for width in (390, 1280):
            context = chromium.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
            page = context.new_page()
            _cookie(page, live_server, django_settings.LANGUAGE_COOKIE_NAME, language)
            if cookie:
                _cookie(page, live_server, django_settings.SESSION_COOKIE_NAME, cookie)
            for url in pages:
                page.goto(url)
                slug = url.strip("/").replace("/", "-") or "home"
                name = f"{who}-{slug}-{language}-{width}.png"
                page.screenshot(path=str(folder / name), full_page=True)
                if page.evaluate(OVERFLOW) > 0:
                    failures.append(f"{name}: wider than the window")
                if url == contract:
                    assert page.locator("#address-needed").is_visible()
                    assert page.locator("#complete-signing").count() == 0
                if url == "/register/":
                    assert page.locator("input[name=address]").is_visible()
            if who == "client" and width == 390:
                page.goto(contract)
                page.fill("input[name=address]", "<b>x</b>")
                page.click("#save-address")
                assert page.locator("#address-needed .errorlist").is_visible()
                page.screenshot(
                    path=str(folder / f"client-contract-error-{language}-390.png"), full_page=True
                )
                page.fill("input[name=address]", ADDRESS)
                page.click("#save-address")
                assert page.locator("#complete-signing").is_visible()
                assert page.locator("#address-needed").count() == 0
                page.screenshot(
                    path=str(folder / f"client-contract-after-{language}-390.png"), full_page=True
                )
                Client.objects.filter(pk=scene.client.pk).update(address="")  # 1280 px sees the form too
            context.close()
    assert not failures, "\n".join(failures)
    assert Client.objects.get(pk=scene.client.pk).address == ""
