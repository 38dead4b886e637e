"""A legal entity registers end to end in Chromium (R-ONB-2, R-ONB-3, R-ONB-4, R-ONB-8, R-AML-1):
the form with the signer and the personal-data consent, the SMS code from the embedded outbox,
the password, the representative's order of appointment, the signer's ID card and the liveness
check with Chromium's fake camera, and the signer's EDS (demo test key with the entity's BIN)."""

from __future__ import annotations

import re

import pytest

from qaryz.access.testing import make_bin
from qaryz.biometrics.engine import liveness
from qaryz.biometrics.tests.test_browser import SEQ, camera_browser, clip  # noqa: F401 - fixtures
from qaryz.biometrics.tests.test_protocol import IIN, card_bytes
from qaryz.clients.models import Client, LegalEntitySigner
from qaryz.compliance.models import Screening
from qaryz.messaging.models import EmbeddedSms
from qaryz.signatures.tests.conftest import eds_settings, test_pki  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]
PHONE = "+77015553303"
PASSWORD = "Steppe-Eagle-Flight-88"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _last_code(phone: str) -> str:
    message = EmbeddedSms.objects.filter(phone=phone).order_by("-id").first()
    return re.search(r"\b(\d{6})\b", message.text).group(1)


@pytest.mark.req("R-ONB-2", "R-ONB-3", "R-ONB-4", "R-ONB-8", "R-AML-1")
def test_legal_entity_registers_end_to_end(
    camera_browser,  # noqa: F811
    eds_settings,  # noqa: F811
    live_server,
    transactional_db,
    monkeypatch,
    settings,
    artifacts_dir,
) -> None:
    settings.DEMO_MODE = True  # the demo test key signs (NCALayer is not available here)
    monkeypatch.setattr(liveness, "new_sequence", lambda used, **kw: list(SEQ))
    context = camera_browser.new_context(base_url=live_server.url, locale="ru-RU")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/register/")
    page.select_option("select[name=kind]", "legal_entity")
    assert page.is_hidden("input[name=iin]")
    page.fill("input[name=bin]", make_bin())
    page.fill("input[name=legal_name]", "ТОО «Дала Тест»")
    page.fill("input[name=signer_surname]", "Обама")
    page.fill("input[name=signer_given_name]", "Барак")
    page.fill("input[name=signer_iin]", IIN)
    page.fill("input[name=phone]", PHONE)
    assert "Согласие на сбор и обработку персональных данных" in page.inner_text(".consent-text")
    page.click("button[type=submit].primary")  # without the consent: refused with a message
    assert "Для регистрации дайте согласие" in page.content()
    page.fill("input[name=address]", "г. Алматы, ул. Абая, 10, кв. 5")
    page.check("input[name=pd_consent]")
    page.click("button[type=submit].primary")
    page.wait_for_url("**/register/code/")
    page.fill("input[name=code]", _last_code(PHONE))
    page.click("button[name=verify]")
    page.wait_for_url("**/register/password/")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/register/finish/")
    page.screenshot(path=str(artifacts_dir / "access-finish-legal-entity.png"), full_page=True)

    # 1. The representative's authority: the order appointing the head.
    page.click("a[href='/register/finish/representative/']")
    page.wait_for_url("**/register/finish/representative/")
    page.check("input[name=authority][value=appointment_order]")
    page.set_input_files(
        "input[name=scan]", files=[{"name": "order.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.screenshot(path=str(artifacts_dir / "access-representative.png"), full_page=True)
    page.click("button[type=submit].primary")
    page.wait_for_url("**/register/finish/")
    assert "Документ получен." in page.content()

    # 2. The signer's ID card, then the liveness check with the fake camera.
    page.click("a.button[href^='/biometrics/verify/']")
    page.wait_for_url("**/biometrics/verify/**")
    page.set_input_files(
        "#card", files=[{"name": "card.jpg", "mimeType": "image/jpeg", "buffer": card_bytes()}]
    )
    page.fill("#issue_date", "2024-05-20")  # printed on the card, not in the MRZ
    page.click("#card-form button[type=submit]")
    page.wait_for_selector("#bio-start", timeout=30000)
    page.click("#bio-start")
    page.wait_for_url("**/register/finish/", timeout=90000)

    # 3. The signer's EDS with the entity's BIN.
    page.click("form[action='/register/finish/sign/'] button")
    page.wait_for_url("**/signatures/sign/**")
    page.click("#eds-demo-sign")
    page.wait_for_url("**/cabinet/", timeout=30000)
    page.screenshot(path=str(artifacts_dir / "access-legal-entity-confirmed.png"), full_page=True)
    context.close()

    entity = Client.objects.get(phone=PHONE)
    assert entity.status == Client.Status.CONFIRMED
    signer = LegalEntitySigner.objects.get(client=entity)
    assert signer.authority == "appointment_order" and signer.authority_scan_ref
    assert signer.id_doc_number == "041234567" and signer.photo_ref
    assert Screening.objects.filter(
        context="registration", context_id=str(entity.pk), result="clear"
    ).exists()
    assert entity.consents.get().language == "ru"
    assert errors == []
