"""The back-office pages: rule versions edited and approved by two officers, alerts, a hold
released, a case closed – in Russian, with no raw code on the page (R-AF-1, R-ACC-1)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from qaryz.access.testing import make_client, make_staff, sign_in_staff
from qaryz.antifraud import services
from qaryz.antifraud.models import Case, Hold, RuleSet
from qaryz.antifraud.tests.helpers import activate

pytestmark = [pytest.mark.django_db, pytest.mark.req("R-AF-1")]

RAW = re.compile(
    r">\s*(velocity_\w+|shared_\w+|location_\w+|device_integrity|data_leak|source_mismatch|approve|review|hold|decline|pending|draft|active|retired|confirmed_fraud|false_positive|registration|login|application|signing|payout|phone_change|bank_change)\s*<"
)


def page(client, url, lang="ru"):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 200, url
    html = response.content.decode()
    assert not RAW.search(html), RAW.search(html).group(0)
    return html


def test_two_officers_make_and_approve_a_version_on_the_pages(client):
    maker, checker = make_staff("security"), make_staff("security")
    sign_in_staff(client, maker)
    response = client.post(reverse("antifraud:ruleset-new"), {"copy_from": "", "note": "первые правила"})
    rs = RuleSet.objects.get()
    assert response.status_code == 302
    bad = client.post(
        reverse("antifraud:rule-add", args=[rs.pk]),
        {
            "code": "abroad",
            "kind": "location_abroad",
            "outcome": "hold",
            "weight": "10",
            "countries": "Казахстан",
        },
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert bad.status_code == 400 and "KZ" in bad.content.decode()  # a clear message, in Russian
    client.post(
        reverse("antifraud:rule-add", args=[rs.pk]),
        {
            "code": "abroad",
            "kind": "location_abroad",
            "outcome": "hold",
            "weight": "10",
            "countries": "KZ",
            "event_kinds": ["signing", "payout"],
        },
    )
    html = page(client, reverse("antifraud:ruleset", args=[rs.pk]))
    assert "Местоположение за рубежом" in html and "Подписание договора" in html
    client.post(reverse("antifraud:ruleset-submit", args=[rs.pk]))
    client.post(reverse("antifraud:ruleset-approve", args=[rs.pk]), HTTP_ACCEPT_LANGUAGE="ru")
    rs.refresh_from_db()
    assert rs.status == "pending"  # the maker cannot approve
    client.logout()
    sign_in_staff(client, checker)
    assert 'id="approve"' in page(client, reverse("antifraud:ruleset", args=[rs.pk]), "kk")
    client.post(reverse("antifraud:ruleset-approve", args=[rs.pk]))
    rs.refresh_from_db()
    assert rs.status == "active" and rs.approved_by == checker
    page(client, reverse("antifraud:rulesets"), "kk")


def test_a_held_operation_is_released_and_a_case_closed_on_the_pages(client):
    activate([{"code": "leak", "kind": "data_leak", "outcome": "hold"}])
    customer = make_client()
    decision = services.evaluate(
        "payout", client=customer, attributes={"data_leak_flagged": True}, subject="loan:1"
    )
    officer = make_staff("security")
    sign_in_staff(client, officer)
    html = page(client, reverse("antifraud:alerts") + "?show=holds")
    assert "Выплата" in html
    html = page(client, reverse("antifraud:alert", args=[decision.alert_id]))
    assert "Данные клиента помечены как утёкшие" in html
    client.post(reverse("antifraud:hold-release", args=[decision.hold_id]), {"reason": "клиент подтвердил"})
    assert Hold.objects.get().status == "released"
    response = client.post(reverse("antifraud:alert-case", args=[decision.alert_id]))
    case = Case.objects.get()
    assert response.status_code == 302 and case.assigned_to == officer
    page(client, reverse("antifraud:case", args=[case.pk]), "en")
    response = client.post(
        reverse("antifraud:case-close", args=[case.pk]),
        {"outcome": "confirmed_fraud", "loss": "-5", "findings": ""},
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert response.status_code == 400
    client.post(
        reverse("antifraud:case-close", args=[case.pk]),
        {"outcome": "confirmed_fraud", "loss": "150000.50", "findings": "дроп"},
    )
    case.refresh_from_db()
    assert (case.status, case.outcome, case.loss) == ("closed", "confirmed_fraud", 15_000_050)
    html = page(client, reverse("antifraud:case", args=[case.pk]))
    assert "Подтверждённое мошенничество" in html
    page(client, reverse("antifraud:cases") + "?show=all", "kk")


def test_other_roles_do_not_see_the_antifraud_pages(client):
    sign_in_staff(client, make_staff("underwriter"))
    assert client.get(reverse("antifraud:alerts")).status_code == 403
    assert client.post(reverse("antifraud:ruleset-new")).status_code == 403
