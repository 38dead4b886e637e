"""Cabinet pages of the application flow (R-CAB-1, R-CAB-3, R-CAB-4, R-PRE-2..7)."""

from __future__ import annotations

import re

import pytest

from qaryz.access.testing import sign_in_client
from qaryz.lending.models import Application
from qaryz.lending.tests.factories import make_client, make_iin

pytestmark = pytest.mark.django_db


@pytest.mark.req(
    "R-CAB-1", "R-CAB-3", "R-CAB-4", "R-PRE-2", "R-PRE-3", "R-PRE-4", "R-PRE-5", "R-PRE-6", "R-PRE-7"
)
def test_client_applies_through_the_pages_and_sees_status_and_contract(client, lending_setup):
    me = make_client(iin=make_iin("900214", "3", 1))
    sign_in_client(client, me)
    page = client.get("/lending/apply/", {"product": "online", "amount": "300000", "term_months": "12"})
    body = page.content.decode()
    assert page.status_code == 200
    # SVG coordinates stay numbers in every language (ru would write "30,0" and break the chart).
    bars = re.findall(r'<rect x="([^"]+)" y="([^"]+)" width="([^"]+)" height="([^"]+)"', body)
    assert bars and all(re.fullmatch(r"-?\d+(\.\d+)?", v) for bar in bars for v in bar)
    assert (
        body.count('class="card offer"') == 2
        and "<svg" in body
        and "<script>" not in body
        and "style=" not in body
    )
    response = client.post(
        "/lending/apply/create/",
        {"product": "online", "amount": "300000", "term_months": "12", "method": "annuity"},
    )
    app = Application.objects.get(client=me)
    assert response.status_code == 302 and response["Location"] == f"/lending/applications/{app.pk}/"
    page = client.get(f"/lending/applications/{app.pk}/").content.decode()
    for title in (
        "Правила предоставления микрокредитов",
        "Все платежи",
        "Проекты графиков",
        "Ваши права и обязанности",
    ):
        assert title in page
    for key in ("rules", "payments", "schedules", "rights"):
        client.post(f"/lending/applications/{app.pk}/acknowledge/{key}/")
    client.post(
        f"/lending/applications/{app.pk}/disbursement/",
        {"disbursement_method": "bank_account", "iban": "KZ86 125K ZT50 0410 0100"},
    )
    client.post(
        f"/lending/applications/{app.pk}/submit/",
        {"monthly_income": "700000", "bureau_consent": "on", "idempotency_key": "abc"},
    )
    app.refresh_from_db()
    assert app.status == "approved" and app.payout_iban == "KZ86125KZT5004100100"
    page = client.get(f"/lending/applications/{app.pk}/").content.decode()
    assert 'data-status="approved"' in page and len(re.findall(r"<li><strong>", page)) == 4
    page = client.get(f"/lending/applications/{app.pk}/contract/").content.decode()
    assert 'data-status="draft"' in page and "purpose=contract_signing" in page
    pdf = client.get(f"/lending/applications/{app.pk}/contract.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


@pytest.mark.req("R-CAB-4", "R-PRE-8")
def test_declined_application_shows_permitted_reason(client, lending_setup):
    me = make_client(iin=make_iin("850315", "3", 9001))
    sign_in_client(client, me)
    client.post(
        "/lending/apply/create/",
        {"product": "online", "amount": "100000", "term_months": "6", "method": "differentiated"},
    )
    app = Application.objects.get(client=me)
    for key in ("rules", "payments", "schedules", "rights"):
        client.post(f"/lending/applications/{app.pk}/acknowledge/{key}/")
    client.post(f"/lending/applications/{app.pk}/disbursement/", {"disbursement_method": "cash_desk"})
    client.post(
        f"/lending/applications/{app.pk}/submit/", {"monthly_income": "700000", "bureau_consent": "on"}
    )
    page = client.get(f"/lending/applications/{app.pk}/").content.decode()
    assert 'data-status="declined"' in page and "добровольный отказ" in page.lower()


def test_other_clients_applications_are_not_visible(client, lending_setup):
    owner, other = make_client(), make_client()
    sign_in_client(client, owner)
    client.post(
        "/lending/apply/create/",
        {"product": "online", "amount": "100000", "term_months": "6", "method": "annuity"},
    )
    app = Application.objects.get(client=owner)
    client.cookies.clear()
    sign_in_client(client, other)
    assert client.get(f"/lending/applications/{app.pk}/").status_code == 404
    assert client.get(f"/lending/applications/{app.pk}/contract.pdf").status_code == 404


def test_pages_need_a_session(client, lending_setup):
    assert client.get("/lending/apply/").status_code == 302


@pytest.mark.req("R-CAB-1")
def test_cabinet_home_leads_to_applying_and_lists_own_applications(client, lending_setup):
    from qaryz.lending import services

    me = make_client(iin=make_iin("900215", "3", 2))
    other = make_client(iin=make_iin("900216", "3", 3))
    sign_in_client(client, me)
    home = client.get("/cabinet/").content.decode()
    assert 'href="/lending/apply/"' in home and 'href="/lending/"' in home  # card and menu
    mine = services.create_application(me, lending_setup, "300000", 12, "annuity")
    theirs = services.create_application(other, lending_setup, "200000", 6, "annuity")
    home = client.get("/cabinet/").content.decode()
    assert f'href="/lending/applications/{mine.pk}/"' in home
    assert f'href="/lending/applications/{theirs.pk}/"' not in home
