"""The registration address is collected at registration (web and API), validated (a sane length;
letters, digits, spaces and address punctuation; no markup), stored on the client and shown masked
on the back-office card (issue 11: the contract names the parties' details)."""

from __future__ import annotations

import pytest

from qaryz.access.testing import make_client
from qaryz.access.tests.test_registration import ADDRESS, _code, _register_web
from qaryz.clients.models import Client
from qaryz.clients.services import ClientDataError, check_address
from qaryz.lending.tests.factories import make_iin

pytestmark = pytest.mark.django_db


@pytest.mark.req("R-ONB-8")
def test_web_registration_stores_the_address(client, outbox):
    _register_web(client, outbox, phone="+77015550031")
    assert Client.objects.get(phone="+77015550031").address == ADDRESS


@pytest.mark.req("R-ONB-8")
@pytest.mark.parametrize(
    "address, message",
    [
        ("", "Enter the full registration address"),
        ("Алматы", "Enter the full registration address"),
        ("<script>alert(1)</script> Алматы, 1", "Address: use letters, digits"),
        ("г. Алматы, ул. Абая\u202e, 10", "Address: use letters, digits"),
    ],
)
def test_web_registration_refuses_a_missing_or_bad_address(client, address, message):
    response = client.post(
        "/register/",
        {
            "kind": "individual",
            "iin": make_iin(),
            "surname": "Сапарова",
            "given_name": "Айжан",
            "phone": "+77015550032",
            "address": address,
            "pd_consent": "on",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200 and message in response.content.decode()


def test_address_rules():
    assert (
        check_address("  г. Алматы,   мкр «Самал-2», д. 33/1, кв. 18 ")
        == "г. Алматы, мкр «Самал-2», д. 33/1, кв. 18"
    )
    assert check_address("Қарағанды обл., Теміртау қ., Республика даңғылы, 5").startswith("Қарағанды")
    for bad in ("x" * 201, "1234567890", "Алматы & <i>", "ул. Абая 10\x00"):
        with pytest.raises(ClientDataError):
            check_address(bad)


@pytest.mark.req("R-ONB-8", "R-MOB-1")
def test_api_registration_requires_and_stores_the_address(client, outbox):
    body = {
        "kind": "individual",
        "iin": make_iin(),
        "surname": "Ахметов",
        "given_name": "Нурлан",
        "phone": "+77015550033",
        "pd_consent": True,
    }
    missing = client.post("/api/v1/access/register", body, content_type="application/json")
    assert missing.status_code == 400
    markup = client.post(
        "/api/v1/access/register", {**body, "address": "<b>г. Алматы</b>, 1"}, content_type="application/json"
    )
    assert markup.status_code == 400
    started = client.post(
        "/api/v1/access/register", {**body, "address": ADDRESS}, content_type="application/json"
    )
    assert started.status_code == 200, started.content
    token = client.post(
        "/api/v1/access/register/verify",
        {"challenge_id": started.json()["challenge_id"], "code": _code(outbox, "+77015550033")},
        content_type="application/json",
    ).json()["registration_token"]
    done = client.post(
        "/api/v1/access/register/complete",
        {"registration_token": token, "password": "Qaryz-Test-Pass-2026!"},
        content_type="application/json",
    )
    assert done.status_code == 200, done.content
    assert Client.objects.get(phone="+77015550033").address == ADDRESS


def test_back_office_card_shows_the_address_masked(client):
    from qaryz.access.testing import make_staff, sign_in_staff

    person = make_client(address="г. Алматы, ул. Абая, 10, кв. 5")
    without = make_client(address="")
    sign_in_staff(client, make_staff("underwriter"))
    page = client.get(f"/backoffice/clients/{person.pk}/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "г. Алматы, …" in page and "Абая" not in page
    page = client.get(f"/backoffice/clients/{without.pk}/").content.decode()
    assert 'id="client-address"' in page and "Абая" not in page
