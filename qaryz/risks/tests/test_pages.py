"""Staff pages of the four registers render in ru/kk/en with no English left on ru/kk, permissions
hold (R-ACC-1), and the main forms work through the pages."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest

from qaryz.access.testing import make_client, make_staff, sign_in_staff
from qaryz.incidents.services import register_incident
from qaryz.leaks.services import mark_leaked
from qaryz.regulator.models import Channel
from qaryz.regulator.services import save_channel
from qaryz.risks.models import Asset, FraudRisk, SecurityRisk

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
ROOMS = ("incidents", "risks", "regulator", "leaks")


def english_left(body: str) -> list[str]:
    text = re.sub(r"<[^>]+>", "\n", re.sub(r"<(script|style)[^>]*>.*?</\1>", "", body, flags=re.S))
    lines = {line.strip() for line in text.splitlines() if line.strip()}
    sources = set()
    for room in ROOMS:
        po = polib.pofile(str(ROOT / room / "locale" / "ru" / "LC_MESSAGES" / "django.po"))
        sources |= {e.msgid for e in po if len(e.msgid) > 3 and "%" not in e.msgid}
    return sorted(line for line in lines if line in sources or line.rstrip(":") in sources)


@pytest.fixture
def data():
    asset = Asset.objects.create(name="АИС", kind="system", owner="ИТ", possible_loss=90_000_000)
    risk = SecurityRisk.objects.create(
        asset=asset,
        threat="Кража базы",
        source_kind="external",
        source="Хакер",
        vulnerability="Старый ПО",
        impact_confidentiality=5,
        impact_integrity=3,
        impact_availability=2,
    )
    FraudRisk.objects.create(
        title="Дропы", indicators="Много заявок", likelihood=3, impact=4, owner="СБ", mitigation="Лимиты"
    )
    incident = register_incident(kind="fraud", summary="Займ на чужое имя", actor="s", asset=asset)
    channel = save_channel(
        Channel(kind="web", name="qaryz.kz", address="https://qaryz.kz", security_procedures="Порядок ИБ"),
        ["registration", "application"],
        actor="s",
    )
    leak = mark_leaked(make_client(), reason="База на форуме", source="АФМ", actor="s")
    return {"incident": incident, "risk": risk, "channel": channel, "leak": leak}


PAGES = [
    ("security", "/backoffice/incidents/"),
    ("security", "/backoffice/incidents/new/"),
    ("security", "/backoffice/incidents/{incident}/"),
    ("compliance", "/backoffice/risks/fraud/"),
    ("compliance", "/backoffice/risks/fraud/risk/new/"),
    ("compliance", "/backoffice/risks/fraud/complaint/new/"),
    ("security", "/backoffice/risks/security/"),
    ("security", "/backoffice/risks/security/risk/new/"),
    ("security", "/backoffice/regulator/"),
    ("security", "/backoffice/regulator/{channel}/"),
    ("security", "/backoffice/regulator/new/"),
    ("security", "/backoffice/leaks/"),
    ("security", "/backoffice/leaks/new/"),
    ("support", "/backoffice/leaks/{leak}/"),
]


@pytest.mark.req("R-ACC-1", "R-INC-1", "R-RISK-1", "R-AF-2", "R-REG-1", "R-LEAK-1")
@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_pages_render_translated(client, data, language):
    staff = {role: make_staff(role) for role in ("security", "compliance", "support")}
    for role, url in PAGES:
        sign_in_staff(client, staff[role])
        client.cookies["django_language"] = language
        url = url.format(incident=data["incident"].pk, channel=data["channel"].pk, leak=data["leak"].pk)
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        body = response.content.decode()
        if language != "en":
            assert english_left(body) == [], (url, language)
    if language == "kk":
        assert "Деректері ағып кеткен клиенттер" in client.get("/backoffice/leaks/").content.decode()


@pytest.mark.req("R-INC-1")
def test_register_an_incident_through_the_page(client, data):
    sign_in_staff(client, make_staff("security"))
    response = client.post("/backoffice/incidents/new/", {"kind": "outage", "summary": "Недоступен кабинет"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "Недоступен кабинет" in page and 'data-task="authority"' in page
    bad = client.post("/backoffice/incidents/new/", {"kind": "weather", "summary": ""})
    assert bad.status_code == 200 and "errors" in bad.content.decode() or "error" in bad.content.decode()


@pytest.mark.req("R-RISK-1")
def test_export_and_estimate_through_the_pages(client, data):
    sign_in_staff(client, make_staff("security"))
    response = client.post(
        f"/backoffice/risks/security/risks/{data['risk'].pk}/estimate/", {"expert": "А", "value": "3"}
    )
    assert response.status_code == 302
    export = client.get("/backoffice/risks/security/export.csv")
    assert export["Content-Type"].startswith("text/csv") and "Кража базы" in export.content.decode(
        "utf-8-sig"
    )


@pytest.mark.req("R-REG-1")
def test_the_open_button_is_refused_before_the_notice(client, data):
    sign_in_staff(client, make_staff("administrator"))
    channel = data["channel"]
    import datetime as dt

    from qaryz.regulator.services import prepare_notice

    notice, _ = prepare_notice(channel, effective_on=dt.date.today() + dt.timedelta(days=40), actor="s")
    response = client.post(f"/backoffice/regulator/{channel.pk}/notices/{notice.pk}/open/")
    assert response.status_code == 302
    channel.refresh_from_db()
    assert not channel.enabled


def test_support_cannot_mark_and_admin_sees_no_leaks(client, data):
    sign_in_staff(client, make_staff("support"))
    assert client.get("/backoffice/leaks/new/").status_code == 403
    sign_in_staff(client, make_staff("administrator"))
    assert client.get("/backoffice/leaks/").status_code == 403


@pytest.mark.parametrize("room", ROOMS)
@pytest.mark.parametrize("language", ["ru", "kk"])
def test_catalogues_are_complete(room, language):
    po = polib.pofile(str(ROOT / room / "locale" / language / "LC_MESSAGES" / "django.po"))
    assert po.percent_translated() == 100, [e.msgid for e in po.untranslated_entries()]
    assert not po.fuzzy_entries()
    for entry in po.translated_entries():
        for placeholder in re.findall(r"%\(\w+\)s", entry.msgid):
            assert placeholder in entry.msgstr, entry.msgid
