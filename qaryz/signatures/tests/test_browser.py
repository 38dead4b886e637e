"""The signing page in headless Chromium: NCALayer absent gives a clear message; the demo signer
completes the whole flow in a plain browser (R-ONB-4, R-SIGN-1)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import expect

from qaryz.access.testing import sign_in_client
from qaryz.signatures import selectors, services

from .conftest import GOOD_IIN, Pki
from .test_signing_requests import make_client

# Both tests touch NCALayer's fixed port 13579 (one needs it free, one listens on it): same worker.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("ncalayer-port"),
]


def browser_session(page, live_server, client) -> None:  # type: ignore[no-untyped-def]
    jar = SimpleNamespace(cookies={})
    sign_in_client(jar, client)
    page.context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": jar.cookies[django_settings.SESSION_COOKIE_NAME],
                "url": live_server.url,
            }
        ]
    )


@pytest.mark.req("R-ONB-4", "R-SIGN-1")
def test_ncalayer_missing_message_then_demo_signer_completes(
    eds_settings: Pki, page, live_server, settings, artifacts_dir
) -> None:
    settings.DEMO_MODE = True
    owner = make_client(iin="330303300333", phone="+77013330333")
    request = services.create_signing_request(
        owner, "change_phone", "Новый номер: +77017654321".encode(), title="Смена номера телефона"
    )
    browser_session(page, live_server, owner)
    console_errors: list[str] = []
    page.on("pageerror", lambda exc: console_errors.append(str(exc)))
    page.goto(f"/signatures/sign/{request.pk}/?next=/")
    assert page.locator("h1").inner_text().startswith("Подпишите")
    assert "Новый номер: +77017654321" in page.locator(".eds-document").inner_text()
    # Nothing listens on wss://127.0.0.1:13579 here: the module must say NCALayer is not running.
    page.click("#eds-connect")
    expect(page.locator("#eds-status")).to_contain_text("NCALayer не запущен", timeout=15000)
    assert page.locator("#eds-do-sign").is_disabled()
    page.screenshot(path=str(artifacts_dir / "signatures-sign-page.png"), full_page=True)
    page.click("#eds-demo-sign")
    page.wait_for_url(f"{live_server.url}/", timeout=15000)
    assert selectors.accepted_signature(request) is not None
    assert console_errors == []


@pytest.mark.req("R-ONB-4", "R-SIGN-1")
def test_ncalayer_module_lists_storages_signs_and_submits(
    eds_settings: Pki, chromium, live_server, settings, tmp_path
) -> None:
    from .fake_ncalayer import FakeNCALayer

    settings.DEMO_MODE = False
    owner = make_client(iin=GOOD_IIN, phone="+77013330334")
    request = services.create_signing_request(
        owner, "contract_signing", "Договор № 5".encode(), title="Договор"
    )
    ncalayer = FakeNCALayer(eds_settings.pki, eds_settings.good.label, tmp_path)
    context = chromium.new_context(base_url=live_server.url, locale="ru-RU", ignore_https_errors=True)
    try:
        page = context.new_page()
        browser_session(page, live_server, owner)
        page.goto(f"/signatures/sign/{request.pk}/?next=/")
        page.click("#eds-connect")
        expect(page.locator("#eds-do-sign")).to_be_enabled(timeout=15000)
        assert "AKKaztokenStore" in page.locator("#eds-storage").inner_text()
        page.click("#eds-do-sign")
        page.wait_for_url(f"{live_server.url}/", timeout=20000)
    finally:
        context.close()
        ncalayer.close()
    assert ncalayer.calls == ["getActiveTokens", "createCAdESFromBase64"]
    verification = selectors.accepted_signature(request)
    assert verification is not None and verification.channel == "web"


@pytest.mark.req("R-ONB-4", "R-SIGN-1")
def test_demo_signer_with_a_gost_key_completes_in_the_browser(
    eds_settings: Pki, page, live_server, settings, tmp_path, artifacts_dir
) -> None:
    """The GOST demo key (GOST 2015, 512-bit, from the GOST test PKI beside the RSA one) in the browser;
    revocation answered in-process as in demo mode."""
    settings.DEMO_MODE = True
    settings.EDS_TEST_PKI_DIR = tmp_path / "pki"
    settings.EDS_REVOCATION = "embedded"
    services.reset_caches()
    services.ensure_test_pki()
    owner = make_client(iin="690909300999", phone="+77016990999")
    request = services.create_signing_request(
        owner, "contract_signing", "Договор № 7".encode(), title="Договор"
    )
    browser_session(page, live_server, owner)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/signatures/sign/{request.pk}/?next=/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(artifacts_dir / "signatures-sign-page-gost-390.png"), full_page=True)
    page.click("#eds-demo-sign-gost")
    page.wait_for_url(f"{live_server.url}/", timeout=30000)
    accepted = selectors.accepted_signature(request)
    assert accepted is not None and accepted.signer_iin == "690909300999"
    services.reset_caches()


@pytest.mark.req("R-ONB-4", "R-SIGN-1")
def test_ncalayer_module_signs_with_a_gost_key_verified_like_production(
    eds_settings: Pki, gost_pki, chromium, live_server, settings, tmp_path
) -> None:
    """NCALayer (stand-in) returning a GOST 2015 CMS; the GOST root configured as a trusted root the way
    NCA's roots are (QARYZ_EDS_TRUSTED_ROOTS_DIR), revocation over HTTP from the certificates' URLs."""
    from cryptography.hazmat.primitives import serialization

    from .fake_ncalayer import FakeNCALayer

    roots = tmp_path / "roots"
    roots.mkdir()
    (roots / "gost-root.pem").write_bytes(gost_pki.pki.root.public_bytes(serialization.Encoding.PEM))
    settings.DEMO_MODE = False
    settings.EDS_TRUST_TEST_PKI = False
    settings.EDS_TRUSTED_ROOTS_DIR = str(roots)
    services.reset_caches()
    owner = make_client(iin=GOOD_IIN, phone="+77013330335")
    request = services.create_signing_request(
        owner, "contract_signing", "Договор № 9".encode(), title="Договор"
    )
    ncalayer = FakeNCALayer(gost_pki.pki, gost_pki.good.label, tmp_path)
    context = chromium.new_context(base_url=live_server.url, locale="ru-RU", ignore_https_errors=True)
    try:
        page = context.new_page()
        browser_session(page, live_server, owner)
        page.goto(f"/signatures/sign/{request.pk}/?next=/")
        page.click("#eds-connect")
        expect(page.locator("#eds-do-sign")).to_be_enabled(timeout=15000)
        page.click("#eds-do-sign")
        page.wait_for_url(f"{live_server.url}/", timeout=30000)
    finally:
        context.close()
        ncalayer.close()
        services.reset_caches()
    verification = selectors.accepted_signature(request)
    assert verification is not None and verification.channel == "web"
    assert verification.signer_iin == GOOD_IIN
