"""The registration pages this room changed, and the back-office client card, in ru and kk at
390 px and 1280 px: screenshots, no sideways overflow, no untranslated consent text."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.test import Client as DjangoClient
from django.utils import timezone

from qaryz.access.testing import make_client, make_staff, sign_in_client, sign_in_staff
from qaryz.clients.models import Client, LegalEntitySigner
from qaryz.clients.services import record_consent, set_signer_authority, set_signer_document

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]
HEADINGS = {
    "ru": ("Согласие на обработку персональных данных", "Документы представителя"),
    "kk": ("Дербес деректерді өңдеуге келісім", "Өкілдің құжаттары"),
}


def _cookies(live_server, session_key: str, language: str) -> list[dict]:
    return [
        {"name": settings.SESSION_COOKIE_NAME, "value": session_key, "url": live_server.url},
        {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
    ]


def _no_overflow(page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width


@pytest.mark.req("R-WEB-1", "R-ONB-2", "R-ONB-8")
@pytest.mark.parametrize("language", ["ru", "kk"])
def test_pages_in_both_languages_and_widths(chromium, live_server, artifacts_dir, language) -> None:
    entity = make_client(kind=Client.Kind.LEGAL_ENTITY, status=Client.Status.REGISTERED)
    LegalEntitySigner.objects.create(client=entity, surname="Оспанов", given_name="Ерлан", iin="800202300011")
    jar = SimpleNamespace(cookies={})
    sign_in_client(jar, entity)
    client_key = jar.cookies[settings.SESSION_COOKIE_NAME]
    confirmed = make_client(kind=Client.Kind.LEGAL_ENTITY)
    LegalEntitySigner.objects.create(
        client=confirmed, surname="Ахметова", given_name="Дана", iin="810303400022"
    )
    set_signer_document(confirmed, doc_type="id_card", number="041234567", expiry=dt.date(2034, 5, 20))
    set_signer_authority(confirmed, authority="power_of_attorney", scan=b"%PDF-1.4 x")
    record_consent(confirmed, kind="personal_data", text="x", language=language, given_at=timezone.now())
    staff = DjangoClient()
    sign_in_staff(staff, make_staff("underwriter"))
    staff_key = staff.cookies[settings.SESSION_COOKIE_NAME].value
    consent_heading, representative_heading = HEADINGS[language]
    for width in (390, 1280):
        context = chromium.new_context(base_url=live_server.url, viewport={"width": width, "height": 900})
        page = context.new_page()
        context.add_cookies(_cookies(live_server, "", language)[1:])
        page.goto("/register/")
        assert consent_heading in page.inner_text(".consent")
        _no_overflow(page)
        page.screenshot(path=str(artifacts_dir / f"access-register-{language}-{width}.png"), full_page=True)
        context.add_cookies(_cookies(live_server, client_key, language))
        for path, name in (
            ("/register/finish/", "finish"),
            ("/register/finish/representative/", "representative"),
        ):
            page.goto(path)
            _no_overflow(page)
            page.screenshot(path=str(artifacts_dir / f"access-{name}-{language}-{width}.png"), full_page=True)
        assert representative_heading in page.inner_text("h1")
        context.clear_cookies()
        context.add_cookies(_cookies(live_server, staff_key, language))
        page.goto(f"/backoffice/clients/{confirmed.pk}/")
        assert "••••4567" in page.content()
        _no_overflow(page)
        page.screenshot(path=str(artifacts_dir / f"backoffice-client-{language}-{width}.png"), full_page=True)
        context.close()
