"""Self-registration (R-ONB-8) through the web cabinet and the API; confirmation (R-ONB-4)."""

import re

import pytest
from django.contrib.auth.hashers import identify_hasher

from qaryz.access import stepup
from qaryz.access.models import ClientCredential, StepUp
from qaryz.access.testing import make_bin, make_iin, sign_in_client
from qaryz.clients.models import Client

PASSWORD = "Kokzhiek-Sunrise-47"


ADDRESS = "г. Алматы, ул. Абая, 10, кв. 5"


def _code(outbox, phone):
    return re.search(r"\b(\d{6})\b", outbox(phone)[-1].text).group(1)


def _register_web(client, outbox, *, kind="individual", phone="+77015550001", **extra):
    data = {"kind": kind, "phone": phone, "pd_consent": "on", "address": ADDRESS, **extra}
    if kind != "legal_entity":
        data.setdefault("iin", make_iin())
        data.setdefault("surname", "Сапарова")
        data.setdefault("given_name", "Айжан")
    response = client.post("/register/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == "/register/code/"
    response = client.post("/register/code/", {"code": _code(outbox, phone)})
    assert response["Location"] == "/register/password/"
    return client.post("/register/password/", {"password1": PASSWORD, "password2": PASSWORD})


@pytest.mark.req("R-ONB-8", "R-ONB-1")
@pytest.mark.django_db
def test_web_registration_creates_registered_client_with_argon2(client, outbox, audited):
    response = _register_web(client, outbox, phone="+77015550001")
    assert response.status_code == 302 and response["Location"] == "/register/finish/"
    created = Client.objects.get(phone="+77015550001")
    assert created.status == Client.Status.REGISTERED
    assert created.surname == "Сапарова"
    assert identify_hasher(created.credential.password_hash).algorithm == "argon2"
    assert "client.registered" in audited() and "access.cabinet_activated" in audited()
    # The finish page lists the steps: biometrics link with purpose and next, and the EDS.
    page = client.get("/register/finish/").content.decode()
    assert "/biometrics/verify/?purpose=registration&amp;next=%2Fregister%2Ffinish%2F" in page
    assert "/register/finish/sign/" in page


@pytest.mark.req("R-ONB-8")
@pytest.mark.django_db
def test_unconfirmed_client_can_only_finish_registration(client):
    from qaryz.access.testing import make_client

    unconfirmed = make_client(status=Client.Status.REGISTERED)
    sign_in_client(client, unconfirmed)
    for url in ("/cabinet/", "/cabinet/notifications/", "/account/change/change_phone/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/register/finish/", url
    assert client.get("/register/finish/").status_code == 200


@pytest.mark.req("R-ONB-1", "R-ONB-8")
@pytest.mark.django_db
def test_registration_refuses_bad_iin_and_duplicates(client, outbox):
    response = client.post(
        "/register/",
        {
            "kind": "individual",
            "iin": "900101300018",
            "surname": "А",
            "given_name": "Б",
            "phone": "+77015550002",
            "pd_consent": "on",
            "address": "г. Алматы, ул. Абая, 10, кв. 5",
        },
    )
    assert response.status_code == 200
    from django.utils.translation import gettext, override

    with override("ru"):
        assert gettext("The IIN is not valid: check the 12 digits.") in response.content.decode()
    assert outbox() == []
    _register_web(client, outbox, phone="+77015550003", iin="900101300017")
    client.cookies.clear()
    response = client.post(
        "/register/",
        {
            "kind": "individual",
            "iin": "900101300017",
            "surname": "А",
            "given_name": "Б",
            "phone": "+77015550004",
            "pd_consent": "on",
            "address": "г. Алматы, ул. Абая, 10, кв. 5",
        },
    )
    # A known IIN gets the same answer as a new one (issue 11); the phone gets a notice, not a code.
    assert response.status_code == 302 and response["Location"] == "/register/code/"
    assert not re.search(r"\b\d{6}\b", outbox("+77015550004")[-1].text)
    assert Client.objects.filter(iin="900101300017").count() == 1


@pytest.mark.req("R-ONB-8", "R-AUTH-4")
@pytest.mark.django_db
def test_password_rules_and_never_echoed(client, outbox):
    phone = "+77015550005"
    client.post(
        "/register/",
        {
            "kind": "individual",
            "iin": make_iin(),
            "surname": "Ким",
            "given_name": "Ли",
            "phone": phone,
            "pd_consent": "on",
            "address": "г. Алматы, ул. Абая, 10, кв. 5",
        },
    )
    client.post("/register/code/", {"code": _code(outbox, phone)})
    for weak in ("short1", "password123", "1234567890123"):
        response = client.post("/register/password/", {"password1": weak, "password2": weak})
        body = response.content.decode()
        assert response.status_code == 200
        assert f'value="{weak}"' not in body
        assert 'autocomplete="new-password"' in body
    assert not Client.objects.filter(phone=phone).exists()


@pytest.mark.req("R-ONB-2", "R-ONB-8")
@pytest.mark.django_db
def test_legal_entity_registration_keeps_signer(client, outbox):
    phone = "+77015550006"
    bin_ = make_bin()
    signer_iin = make_iin("800202", "3")
    response = _register_web(
        client,
        outbox,
        kind="legal_entity",
        phone=phone,
        bin=bin_,
        legal_name="ТОО «Жол»",
        signer_surname="Оспанов",
        signer_given_name="Ерлан",
        signer_iin=signer_iin,
    )
    assert response.status_code == 302
    entity = Client.objects.get(phone=phone)
    assert entity.bin == bin_ and entity.iin is None
    assert entity.signer.iin == signer_iin and entity.signer.full_name == "Оспанов Ерлан"


def _inject(monkeypatch, *, biometrics, signed):
    consumed = []
    monkeypatch.setattr(
        stepup, "biometric_check", lambda client, purpose, within: "bio-1" if biometrics else None
    )
    monkeypatch.setattr(stepup, "consume_biometric", consumed.append)
    monkeypatch.setattr(stepup, "signature_check", lambda ref: "sig" if signed and ref else None)
    monkeypatch.setattr(stepup, "create_signing_request", lambda client, purpose, content, title: "77")
    return consumed


@pytest.mark.req("R-ONB-4", "R-ONB-8")
@pytest.mark.django_db
def test_individual_confirmed_only_after_biometrics_and_eds(client, monkeypatch, audited):
    from qaryz.access.testing import make_client

    person = make_client(status=Client.Status.REGISTERED)
    sign_in_client(client, person)
    _inject(monkeypatch, biometrics=True, signed=True)
    # Biometrics alone is not enough for an individual: there is no signing request yet.
    client.get("/register/finish/")
    person.refresh_from_db()
    assert person.status == Client.Status.REGISTERED
    response = client.post("/register/finish/sign/")
    assert response["Location"] == "/signatures/sign/77/?next=%2Fregister%2Ffinish%2F"
    _inject(monkeypatch, biometrics=False, signed=True)
    client.get("/register/finish/")
    person.refresh_from_db()
    assert person.status == Client.Status.REGISTERED
    consumed = _inject(monkeypatch, biometrics=True, signed=True)
    response = client.get("/register/finish/")
    assert response["Location"] == "/cabinet/"
    person.refresh_from_db()
    assert person.status == Client.Status.CONFIRMED and person.confirmed_at is not None
    assert consumed == ["bio-1"] and "client.confirmed" in audited()
    assert StepUp.objects.get(client=person, purpose="registration").status == "done"


@pytest.mark.req("R-ONB-4")
@pytest.mark.django_db
def test_entrepreneur_needs_no_eds(client, monkeypatch):
    from qaryz.access.testing import make_client

    ie = make_client(kind=Client.Kind.ENTREPRENEUR, status=Client.Status.REGISTERED)
    sign_in_client(client, ie)
    _inject(monkeypatch, biometrics=False, signed=False)
    assert "/register/finish/sign/" not in client.get("/register/finish/").content.decode()
    _inject(monkeypatch, biometrics=True, signed=False)
    client.get("/register/finish/")
    ie.refresh_from_db()
    assert ie.status == Client.Status.CONFIRMED


@pytest.mark.req("R-ONB-4")
@pytest.mark.django_db
def test_production_seams_refuse_without_the_rooms(monkeypatch):
    """Without a biometrics/signature answer nothing is confirmed (real seams, no injection)."""
    from qaryz.access.testing import make_client

    person = make_client(status=Client.Status.REGISTERED)
    req = stepup.registration_requirements(person)
    assert not req.satisfied
    assert stepup.refresh_registration(person).status == Client.Status.REGISTERED


@pytest.mark.req("R-ONB-8", "R-MOB-1")
@pytest.mark.django_db
def test_api_registration_flow(client, outbox):
    phone = "+77015550007"
    response = client.post(
        "/api/v1/access/register",
        {
            "kind": "entrepreneur",
            "iin": make_iin(),
            "surname": "Ахметов",
            "given_name": "Нурлан",
            "phone": "8 701 555 00 07",
            "pd_consent": True,
            "address": "г. Алматы, ул. Абая, 10, кв. 5",
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    challenge = response.json()["challenge_id"]
    assert response.json()["expires_in"] == 60
    bad = client.post(
        "/api/v1/access/register/verify",
        {"challenge_id": challenge, "code": "12345x"},
        content_type="application/json",
    )
    assert bad.status_code == 400 and set(bad.json()) >= {"error", "reference"}
    response = client.post(
        "/api/v1/access/register/verify",
        {"challenge_id": challenge, "code": _code(outbox, phone)},
        content_type="application/json",
    )
    token = response.json()["registration_token"]
    weak = client.post(
        "/api/v1/access/register/complete",
        {"registration_token": token, "password": "qwerty"},
        content_type="application/json",
    )
    assert weak.status_code == 400 and "qwerty" not in weak.content.decode()
    response = client.post(
        "/api/v1/access/register/complete",
        {"registration_token": token, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200
    access = response.json()["access_token"]
    assert response.json()["status"] == "registered"
    me = client.get("/api/v1/access/me", HTTP_AUTHORIZATION=f"Bearer {access}")
    assert me.status_code == 200 and me.json()["eds_required"] is False
    # The token is stored only as a hash.
    assert not ClientCredential.objects.filter(password_hash__contains=access).exists()
    from qaryz.access.models import ClientSession

    assert not ClientSession.objects.filter(token_hash=access).exists()
    again = client.post(
        "/api/v1/access/register/complete",
        {"registration_token": token, "password": PASSWORD},
        content_type="application/json",
    )
    assert again.status_code == 400
