"""The staff pages of the incident, risk, regulator-notice and data-leak registers at 1280 px in
ru, kk and en: screenshots (var/artifacts), no sideways overflow, the main headings translated."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client as DjangoClient

from qaryz.access.testing import make_client, make_staff, sign_in_staff
from qaryz.incidents import services as incidents
from qaryz.leaks.adapters.embedded import register_subscriber
from qaryz.leaks.services import mark_leaked
from qaryz.regulator import services as regulator
from qaryz.regulator.models import Channel
from qaryz.risks import services as risks
from qaryz.risks.models import Asset, Complaint, FraudRisk, SecurityRisk

pytestmark = [
    pytest.mark.browser,
    pytest.mark.xdist_group("browser"),
    pytest.mark.django_db(transaction=True),
]
HEADINGS = {
    "ru": "Инциденты: что нужно сделать",
    "kk": "Инциденттер: не істеу керек",
    "en": "Incidents: what is due",
}


def _data() -> dict:
    asset = risks.save_asset(
        Asset(name="АИС кредитования", kind="system", owner="ИТ", possible_loss=90_000_000), actor="s"
    )
    risk = risks.save_security_risk(
        SecurityRisk(
            asset=asset,
            threat="Утечка базы клиентов",
            source_kind="internal",
            source="Работник с доступом",
            vulnerability="Выгрузка без лимита",
            controls="Ролевой доступ",
            impact_confidentiality=5,
            impact_integrity=2,
            impact_availability=1,
            treatment="Внедрить DLP",
            treatment_owner="ИБ",
        ),
        actor="s",
    )
    risks.estimate_likelihood(risk, expert="Руководитель ИБ", value=3, actor="s")
    risks.estimate_likelihood(risk, expert="Аудитор", value=4, actor="s")
    fraud = risks.save_fraud_risk(
        FraudRisk(
            title="Займ по украденным данным",
            indicators="Смена телефона перед заявкой",
            likelihood=4,
            impact=4,
            owner="Служба безопасности",
            mitigation="Повторная биометрия",
        ),
        actor="s",
    )
    client = make_client()
    risks.save_complaint(
        Complaint(received_on=dt.date.today(), summary="Не брала займ", client=client, fraud_risk=fraud),
        actor="s",
    )
    incident = incidents.register_incident(
        kind="unauthorised_access", summary="Вход в кабинеты по паролям из утечки", actor="s", asset=asset
    )
    incidents.add_affected_client(incident, client, actor="s")
    incidents.prepare_notice(incident, recipient_kind="authority", actor="s")
    incidents.add_step(incident, kind="restore", description="Сбросить пароли затронутых клиентов", actor="s")
    channel = regulator.save_channel(
        Channel(
            kind="mobile_app",
            name="Qaryz для Android",
            address="Google Play: kz.qaryz.app",
            security_procedures="Порядок ИБ, протокол № 31",
        ),
        ["registration", "application", "signing", "payout"],
        actor="s",
    )
    notice, _ = regulator.prepare_notice(
        channel, effective_on=dt.date.today() + dt.timedelta(days=30), actor="s"
    )
    regulator.mark_sent(notice, sent_on=dt.date.today(), reference="исх. 212", actor="s")
    register_subscriber(client.phone, client.iin)
    leak = mark_leaked(client, reason="База на форуме", source="Служба мониторинга", actor="s")
    return {"incident": incident.pk, "channel": channel.pk, "leak": leak.pk}


def _no_overflow(page) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width


@pytest.mark.req("R-INC-1", "R-RISK-1", "R-AF-2", "R-REG-1", "R-LEAK-1", "R-WEB-1")
@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_register_pages_at_1280(chromium, live_server, artifacts_dir, language) -> None:
    ids = _data()
    keys = {}
    for role in ("security", "compliance", "support", "administrator"):
        jar = DjangoClient()
        sign_in_staff(jar, make_staff(role))
        keys[role] = jar.cookies[settings.SESSION_COOKIE_NAME].value
    pages = [
        ("security", "/backoffice/incidents/", "incidents"),
        ("security", f"/backoffice/incidents/{ids['incident']}/", "incident"),
        ("compliance", "/backoffice/risks/fraud/", "fraud-risks"),
        ("security", "/backoffice/risks/security/", "security-risks"),
        ("security", "/backoffice/risks/security/risk/new/", "security-risk-form"),
        ("administrator", "/backoffice/regulator/", "channels"),
        ("administrator", f"/backoffice/regulator/{ids['channel']}/", "channel"),
        ("security", "/backoffice/regulator/new/", "channel-form"),
        ("security", "/backoffice/leaks/", "leaks"),
        ("support", f"/backoffice/leaks/{ids['leak']}/", "leak"),
    ]
    context = chromium.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    for role, path, name in pages:
        context.clear_cookies()
        context.add_cookies(
            [
                {"name": settings.SESSION_COOKIE_NAME, "value": keys[role], "url": live_server.url},
                {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
            ]
        )
        response = page.goto(path)
        assert response.status == 200, (path, response.status)
        if name == "incidents":
            assert HEADINGS[language] in page.inner_text("h1")
        _no_overflow(page)
        page.screenshot(path=str(artifacts_dir / f"registers-{name}-{language}-1280.png"), full_page=True)
    context.close()
