"""The blocking check on the clients' side (R-REG-1..2, Rules §4–5): the web cabinet and the mobile
API offer a lending service only once their channel's notice listing it is in effect."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import get_resolver
from django.urls.resolvers import URLPattern, URLResolver
from django.utils import timezone

from qaryz.access.services import issue_api_token
from qaryz.access.testing import make_client, sign_in_client
from qaryz.core import workdays
from qaryz.regulator import gate, services
from qaryz.regulator.models import Channel

pytestmark = pytest.mark.django_db
PAST = timezone.localdate() - dt.timedelta(days=90)


@pytest.fixture(autouse=True)
def _check_on(settings):
    settings.REGULATOR_CHANNEL_CHECK = True
    settings.REGULATOR_WEB_CHANNEL = settings.REGULATOR_APP_CHANNEL = ""


def channel(kind: str, offered: list[str], *, name: str = "", open_it: bool = True) -> Channel:
    found = services.save_channel(
        Channel(
            kind=kind,
            name=name or f"Qaryz {kind}",
            address="https://qaryz.kz/" if kind == "web" else "Google Play: kz.qaryz.app",
            security_procedures="Порядок обеспечения безопасности, протокол № 31",
        ),
        offered,
        actor="system",
    )
    if open_it:
        notice, _ = services.prepare_notice(
            found, effective_on=workdays.add_working_days(PAST, 10), actor="system", today=PAST
        )
        services.mark_sent(notice, sent_on=PAST, reference="исх. № 1", actor="system")
        services.put_into_effect(notice, actor="system")
    return found


@pytest.fixture
def web_client(client):
    person = make_client()
    sign_in_client(client, person)
    return client


@pytest.fixture
def api_auth():
    return {"HTTP_AUTHORIZATION": f"Bearer {issue_api_token(make_client())[0]}"}


@pytest.mark.req("R-REG-1", "R-REG-2")
def test_web_serves_what_is_in_effect_and_refuses_the_rest(web_client):
    channel("web", ["information"])
    assert web_client.get("/servicing/loans/", HTTP_ACCEPT_LANGUAGE="ru").status_code == 200
    refused = web_client.get("/messages/", HTTP_ACCEPT_LANGUAGE="ru")
    assert refused.status_code == 403
    page = refused.content.decode()
    assert "Переписка клиента и МФО" in page and "Qaryz web" in page and "не вступило в силу" in page
    assert "Letters" not in page and "letters" not in page
    # not a lending service: the MFO's details stay open
    assert web_client.get("/cabinet/mfo/").status_code == 200


@pytest.mark.req("R-REG-1")
def test_a_channel_not_yet_in_effect_offers_nothing(web_client, api_auth):
    app = channel("mobile_app", ["information", "letters"], open_it=False)
    notice, _ = services.prepare_notice(
        app, effective_on=workdays.add_working_days(timezone.localdate(), 12), actor="system"
    )
    services.mark_sent(notice, sent_on=timezone.localdate(), reference="исх. № 2", actor="system")
    answer = web_client.get("/api/v1/servicing/loans", HTTP_ACCEPT_LANGUAGE="kk", **api_auth)
    assert answer.status_code == 403
    body = answer.json()
    assert body["error"] == "channel_not_in_effect" and body["reference"]
    assert "Қарыз" in body["detail"] or "қарыз" in body["detail"]
    assert "not yet" not in body["detail"]
    # no web channel in the register at all: the cabinet's services are refused too
    assert web_client.get("/servicing/loans/").status_code == 403


@pytest.mark.req("R-REG-2")
def test_api_keeps_the_old_list_until_the_change_takes_effect(client, api_auth):
    app = channel("mobile_app", ["information"])
    assert client.get("/api/v1/servicing/loans", **api_auth).status_code == 200
    assert client.get("/api/v1/correspondence/threads", **api_auth).json()["error"] == "channel_not_in_effect"
    services.save_channel(app, ["information", "letters"], actor="system")
    today = timezone.localdate()
    notice, _ = services.prepare_notice(
        app, effective_on=workdays.add_working_days(today, 10), actor="system"
    )
    services.mark_sent(notice, sent_on=today, reference="исх. № 3", actor="system")
    assert client.get("/api/v1/correspondence/threads", **api_auth).status_code == 403  # sent, not in effect
    later = workdays.add_working_days(today, 10)
    services.put_into_effect(notice, actor="system", today=later)
    assert client.get("/api/v1/correspondence/threads", **api_auth).status_code == 200
    services.close_channel(app, actor="system")
    assert client.get("/api/v1/servicing/loans", **api_auth).status_code == 403


@pytest.mark.req("R-REG-1")
def test_the_configured_channel_name_picks_one_of_several(settings, client, api_auth):
    channel("mobile_app", ["information"], name="Qaryz для Android")
    channel("mobile_app", ["letters"], name="Qaryz для iOS")
    assert client.get("/api/v1/servicing/loans", **api_auth).status_code == 403  # ambiguous: nothing
    settings.REGULATOR_APP_CHANNEL = "Qaryz для Android"
    assert client.get("/api/v1/servicing/loans", **api_auth).status_code == 200
    assert client.get("/api/v1/correspondence/threads", **api_auth).status_code == 403


def test_the_check_can_be_switched_off(settings, client, api_auth):
    settings.REGULATOR_CHANNEL_CHECK = False
    assert client.get("/api/v1/servicing/loans", **api_auth).status_code == 200


def _routes(resolver=None, prefix: str = "", namespace: str = "") -> list[tuple[str, str]]:
    found = []
    for item in (resolver or get_resolver()).url_patterns:
        if isinstance(item, URLResolver):
            inner = f"{namespace}:{item.namespace}".strip(":") if item.namespace else namespace
            found += _routes(item, prefix + str(item.pattern), inner)
        elif isinstance(item, URLPattern):
            found.append((prefix + str(item.pattern), f"{namespace}:{item.name}".strip(":")))
    return found


@pytest.mark.req("R-REG-1")
def test_every_client_route_is_a_service_or_declared_not_one():
    """A new page or API call must say which notified service it provides (or that it is none)."""
    known = set(gate.SERVICE_OF_ROUTE) | gate.NOT_A_SERVICE
    missing = []
    for route, view_name in _routes():
        if route.startswith(("admin/", "backoffice/", "i18n/")):
            continue
        key = route if route.startswith("api/") else view_name
        if key not in known:
            missing.append(key)
    assert not missing, f"declare in qaryz/regulator/gate.py: {missing}"
    assert not set(gate.SERVICE_OF_ROUTE) & gate.NOT_A_SERVICE
