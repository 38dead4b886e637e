"""A demo client applies in headless Chromium: compares schedules, reads and acknowledges the
texts, submits, is screened and bureau-checked, approved, signs (biometrics + EDS demo signer),
sees the signed contract, then amends it the same way (R-CAB-1, R-CAB-3, R-CAB-4, R-PRE-2..7,
R-SIGN-1)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import expect

from qaryz.access.testing import sign_in_client
from qaryz.lending.models import Application
from qaryz.lending.tests.factories import make_client, make_iin
from qaryz.lending.tests.test_signing import passed_biometrics
from qaryz.signatures.tests.conftest import GOOD_IIN

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    # The signatures room's browser tests share NCALayer's fixed port; keep them on one worker.
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


def apply_and_submit(page, amount: str = "300000", term: str = "12") -> None:  # type: ignore[no-untyped-def]
    page.goto("/lending/apply/")
    page.fill("#id_amount", amount)
    page.fill("#id_term_months", term)
    page.click("#terms-form button[type=submit]")
    expect(page.locator(".offer")).to_have_count(2)
    assert page.locator(".chart > svg rect").count() == 2 * int(term)
    page.click(".offer[data-method=annuity] button[name=method]")
    for key in ("rules", "payments", "schedules", "rights"):
        page.click(f"#ack-{key} button")
        expect(page.locator(f"#ack-{key} .done")).to_be_visible()
    page.check("input[name=disbursement_method][value=bank_account]")
    page.fill("#id_iban", "KZ86125KZT5004100100")
    page.click("#disbursement button[type=submit]")
    page.fill("#id_monthly_income", "700000")
    page.check("#id_bureau_consent")
    page.click("#submit-application")


def amend_and_sign(page, client, artifacts_dir) -> None:  # type: ignore[no-untyped-def]
    """From the signed contract's page: request a change, read the amendment (new schedule and
    rate), sign it like the contract (biometrics + EDS demo signer), see it next to the contract."""
    page.click("#amend-link")
    page.fill("#id_term_months", "18")
    page.select_option("#id_method", "differentiated")
    page.fill("#id_payment_day", "10")
    page.click("#request-amendment")
    expect(page.locator("#amendment-status")).to_have_attribute("data-status", "draft")
    expect(page.locator("#amendment-schedule tbody tr")).to_have_count(18)
    passed_biometrics(client)
    page.click("#eds-link")
    page.click("#eds-demo-sign")
    page.wait_for_url("**/contract/amendments/1/", timeout=20000)
    page.click("#complete-amendment-signing")
    expect(page.locator("#amendment-status")).to_have_attribute("data-status", "signed")
    page.screenshot(path=str(artifacts_dir / "lending-amendment-signed.png"), full_page=True)
    pdf = page.request.get(page.locator("#amendment-pdf").get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    page.click("dd a")  # back to the contract
    expect(page.locator("#amendments tr.amendment[data-status=signed]")).to_have_count(1)


@pytest.mark.req(
    "R-CAB-1",
    "R-CAB-3",
    "R-CAB-4",
    "R-PRE-2",
    "R-PRE-3",
    "R-PRE-4",
    "R-PRE-5",
    "R-PRE-6",
    "R-PRE-7",
    "R-SIGN-1",
)
def test_demo_client_applies_compares_signs_and_sees_contract(
    lending_setup, eds_settings, page, live_server, settings, artifacts_dir
):
    settings.DEMO_MODE = True
    me = make_client(iin=GOOD_IIN, surname="Сапаров", given_name="Аскар", patronymic="")
    browser_session(page, live_server, me)
    apply_and_submit(page)
    expect(page.locator("#app-status")).to_have_attribute("data-status", "approved")
    assert page.locator(".timeline li").count() == 4
    page.screenshot(path=str(artifacts_dir / "lending-approved.png"), full_page=True)
    page.click("#contract-link")
    expect(page.locator("#contract-status")).to_have_attribute("data-status", "draft")
    # The live face check with a camera is the biometrics room's browser test; here its passed
    # result is recorded the way that room records it.
    passed_biometrics(me)
    page.click("#eds-link")
    page.click("#eds-demo-sign")
    page.wait_for_url("**/lending/applications/*/contract/", timeout=20000)
    page.click("#complete-signing")
    expect(page.locator("#contract-status")).to_have_attribute("data-status", "signed")
    page.screenshot(path=str(artifacts_dir / "lending-signed.png"), full_page=True)
    assert Application.objects.get(client=me).status == "signed"
    pdf = page.request.get(page.locator("#contract-pdf").get_attribute("href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    amend_and_sign(page, me, artifacts_dir)


@pytest.mark.req("R-PRE-1", "R-AML-1", "R-PRE-8")
@pytest.mark.parametrize(
    ("iin", "reason"), [("870909370012", "ПОД/ФТ"), (make_iin("850315", "3", 9004), "добровольный отказ")]
)
def test_refusal_paths_show_the_permitted_reason(lending_setup, page, live_server, iin, reason):
    me = make_client(iin=iin)
    browser_session(page, live_server, me)
    apply_and_submit(page, "150000", "6")
    expect(page.locator("#app-status")).to_have_attribute("data-status", "declined")
    assert reason in page.locator("#decline-reason").inner_text()
