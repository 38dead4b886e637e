"""Security probes of sign-in, recovery and registration (issue 11, items 8 and 11; R-AUTH-5, R-ONB-8)."""

from __future__ import annotations

import re

import pytest

from qaryz.access.models import OtpChallenge
from qaryz.access.testing import make_client, make_iin
from qaryz.clients.models import Client

pytestmark = pytest.mark.django_db
API = "/api/v1/access"


def _client_with_password(**extra) -> Client:
    return make_client(**extra)


def _recover(client, phone: str, id_number: str, address: str = "10.0.0.1"):
    return client.post(
        f"{API}/recover",
        {"phone": phone, "id_number": id_number},
        content_type="application/json",
        REMOTE_ADDR=address,
    )


# --- recovery: no lock-out of the victim, no answer that tells a match ---------------------------


@pytest.mark.req("R-AUTH-5")
def test_wrong_iin_decoys_never_use_up_the_victims_hourly_cap(client, outbox) -> None:
    victim = _client_with_password()
    wrong = make_iin("850505")
    for i in range(60):  # the attacker spreads the guesses over many addresses
        answer = _recover(client, victim.phone, wrong, address=f"10.1.{i // 250}.{i % 250}")
        assert answer.status_code == 200, (i, answer.content)
    assert outbox(victim.phone) == []
    answer = _recover(client, victim.phone, victim.iin, address="192.0.2.7")
    assert answer.status_code == 200, answer.content
    assert len(outbox(victim.phone)) == 1  # the victim still gets the code


@pytest.mark.req("R-AUTH-5")
def test_recovery_answers_the_same_whether_phone_and_iin_match(client, outbox) -> None:
    person = _client_with_password()
    match = _recover(client, person.phone, person.iin).json()
    other = _recover(client, person.phone, make_iin("850505"), address="10.0.0.2").json()
    stranger = _recover(client, "+77019998877", make_iin("850505"), address="10.0.0.3").json()
    assert set(match) == set(other) == set(stranger) == {"challenge_id", "method", "expires_in"}
    assert match["method"] == other["method"] == stranger["method"] == "sms"
    assert match["expires_in"] == other["expires_in"] == stranger["expires_in"]
    assert len(outbox(person.phone)) == 1
    # The matching phone asking again within the resend pause: the same answer, no 429 that tells.
    again = _recover(client, person.phone, person.iin, address="10.0.0.4")
    assert again.status_code == 200 and again.json()["method"] == "sms"
    # A decoy's resend looks like a real one and sends nothing.
    decoy = OtpChallenge.objects.get(public_id=other["challenge_id"])
    assert decoy.phone == "" and decoy.context == {"decoy": True}


@pytest.mark.req("R-AUTH-5")
def test_recovery_is_limited_per_client_address(client, settings) -> None:
    settings.ACCESS_START_PER_ADDRESS_PER_HOUR = 5
    person = _client_with_password()
    for _ in range(5):
        assert _recover(client, "+77019998877", make_iin("850505"), address="203.0.113.9").status_code == 200
    refused = _recover(client, person.phone, person.iin, address="203.0.113.9")
    assert refused.status_code == 429 and refused.json()["error"] == "error"
    assert _recover(client, person.phone, person.iin, address="203.0.113.10").status_code == 200
    # The web form is limited by the same counter.
    page = client.post(
        "/password/recover/", {"phone": person.phone, "id_number": person.iin}, REMOTE_ADDR="203.0.113.9"
    )
    assert page.status_code == 200 and not OtpChallenge.objects.filter(phone=person.phone).count() > 1


@pytest.mark.req("R-AUTH-5")
def test_registration_attempts_with_someones_phone_do_not_use_up_their_sign_in_codes(
    client, settings
) -> None:
    from qaryz.access import otp

    settings.OTP_MAX_SENDS = 1  # cap: 10 challenges per phone, purpose and hour
    person = _client_with_password()
    for _ in range(10):
        OtpChallenge.objects.create(
            public_id=OtpChallenge.objects.count().__str__() + "x",
            purpose="registration",
            phone=person.phone,
            expires_at="2099-01-01T00:00:00Z",
        )
    assert otp.issue(person.phone, "login", context={"client_id": person.pk}).pk


# --- NUL bytes and over-long values: 400/422, never 500 -----------------------------------------

SIGN_IN_STEPS = [
    ("register/verify", {"code": "123456"}),
    ("otp/resend", {}),
    ("login/verify", {"code": "123456"}),
    ("login/key/options", {}),
    ("login/key/verify", {"credential": {}}),
    ("recover/verify", {"code": "123456"}),
]


@pytest.mark.parametrize(("path", "extra"), SIGN_IN_STEPS)
def test_a_nul_byte_in_challenge_id_is_a_400_on_every_sign_in_step(client, path, extra) -> None:
    answer = client.post(
        f"{API}/{path}", {"challenge_id": "ab\x00cd", **extra}, content_type="application/json"
    )
    assert answer.status_code == 400, (path, answer.status_code, answer.content)
    assert answer.json()["error"] == "bad_request" and answer.json()["reference"]


def test_nul_bytes_are_refused_in_query_strings_and_web_forms(client) -> None:
    assert client.get("/api/v1/access/me?x=%00").status_code == 400
    assert client.post("/login/", {"phone": "+7701\x00", "password": "x"}).status_code == 400
    assert client.get("/login/?next=%00").status_code == 400


@pytest.mark.req("R-ONB-8")
def test_an_over_long_surname_through_the_api_is_a_clear_400(client, outbox) -> None:
    body = {
        "pd_consent": True,
        "address": "г. Алматы, ул. Абая, 10, кв. 5",
        "iin": make_iin(),
        "surname": "Ж" * 101,
        "given_name": "Айжан",
        "phone": "+77015550101",
    }
    answer = client.post(f"{API}/register", body, content_type="application/json")
    assert answer.status_code == 400, answer.content
    assert "60" in answer.json()["detail"]
    assert outbox("+77015550101") == []


# --- registration does not tell whether an IIN is a client ---------------------------------------


def _code(outbox, phone):
    found = re.search(r"\b(\d{6})\b", outbox(phone)[-1].text)
    return found.group(1) if found else None


@pytest.mark.req("R-ONB-8")
def test_registering_with_an_existing_iin_answers_as_for_a_new_one_and_tells_the_phone_by_sms(
    client, outbox
) -> None:
    existing = make_client()
    new_body = {
        "pd_consent": True,
        "address": "г. Алматы, ул. Абая, 10, кв. 5",
        "iin": make_iin(),
        "surname": "Сапарова",
        "given_name": "Айжан",
        "phone": "+77015550201",
    }
    old_body = {
        "pd_consent": True,
        "address": "г. Алматы, ул. Абая, 10, кв. 5",
        "iin": existing.iin,
        "surname": "Сапарова",
        "given_name": "Айжан",
        "phone": "+77015550202",
    }
    new = client.post(f"{API}/register", new_body, content_type="application/json")
    old = client.post(f"{API}/register", old_body, content_type="application/json")
    assert new.status_code == old.status_code == 200
    assert set(new.json()) == set(old.json()) and new.json()["method"] == old.json()["method"] == "sms"
    assert _code(outbox, "+77015550201") is not None
    notice = outbox("+77015550202")[-1].text
    assert _code(outbox, "+77015550202") is None and ("кабинет" in notice or "cabinet" in notice)
    # No code exists for the known IIN: the registration cannot go on.
    for guess in ("000000", "123456", "999999"):
        refused = client.post(
            f"{API}/register/verify",
            {"challenge_id": old.json()["challenge_id"], "code": guess},
            content_type="application/json",
        )
        assert refused.status_code == 400
    # The web form: the same redirect to the code page for both.
    web_new = client.post("/register/", {**new_body, "kind": "individual", "phone": "+77015550203"})
    web_old = client.post("/register/", {**old_body, "kind": "individual", "phone": "+77015550204"})
    assert web_new.status_code == web_old.status_code == 302
    assert web_new["Location"] == web_old["Location"] == "/register/code/"
    assert Client.objects.filter(iin=existing.iin).count() == 1


@pytest.mark.req("R-ONB-8")
def test_registering_with_an_existing_phone_answers_the_same(client, outbox) -> None:
    existing = make_client()
    body = {
        "pd_consent": True,
        "address": "г. Алматы, ул. Абая, 10, кв. 5",
        "iin": make_iin(),
        "surname": "Сапарова",
        "given_name": "Айжан",
        "phone": existing.phone,
    }
    answer = client.post(f"{API}/register", body, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["method"] == "sms"
    assert _code(outbox, existing.phone) is None


# --- name fields ---------------------------------------------------------------------------------

GOOD_NAMES = ["Жұмабаев", "Әлия-Гүлнұр", "O'Brien", "Мария Анна", "Ғалымжан", "Müller", "Д’Артаньян"]
BAD_NAMES = [
    "<b>Иванов</b>",
    "Иванов2",
    "\u202eвонавИ",
    "Ива\u2066нов",
    "Иванов;",
    "-Иванов",
    "Ж" * 61,
    "x" * 5000,
]


@pytest.mark.req("R-ONB-8")
@pytest.mark.parametrize("name", GOOD_NAMES)
def test_names_with_kazakh_latin_letters_hyphens_and_apostrophes_are_accepted(client, outbox, name) -> None:
    body = {
        "pd_consent": True,
        "address": "г. Алматы, ул. Абая, 10, кв. 5",
        "iin": make_iin(),
        "surname": name,
        "given_name": name,
        "patronymic": name,
        "phone": "+77015550301",
    }
    answer = client.post(f"{API}/register", body, content_type="application/json")
    assert answer.status_code == 200, answer.content


@pytest.mark.req("R-ONB-8")
@pytest.mark.parametrize("field", ["surname", "given_name", "patronymic"])
@pytest.mark.parametrize("name", BAD_NAMES)
def test_markup_digits_bidi_controls_and_long_names_are_refused_with_a_message(client, field, name) -> None:
    body = {
        "pd_consent": True,
        "address": "г. Алматы, ул. Абая, 10, кв. 5",
        "iin": make_iin(),
        "surname": "Сапарова",
        "given_name": "Айжан",
        "phone": "+77015550302",
        field: name,
    }
    answer = client.post(f"{API}/register", body, content_type="application/json")
    assert answer.status_code == 400, answer.content
    detail = answer.json()["detail"]
    assert "буквы" in detail or "60" in detail, detail  # ru: the API answers in the default language
    web = client.post("/register/", {**body, "kind": "individual"})
    assert web.status_code == 200, (field, name, web.get("Location"))


@pytest.mark.req("R-ONB-8")
@pytest.mark.parametrize("field", ["signer_surname", "signer_given_name", "signer_patronymic", "legal_name"])
def test_signer_and_entity_names_are_validated_too(client, field) -> None:
    from qaryz.access.testing import make_bin

    body = {
        "kind": "legal_entity",
        "bin": make_bin(),
        "legal_name": "ТОО «Альфа-1»",
        "signer_surname": "Сапарова",
        "signer_given_name": "Айжан",
        "signer_iin": make_iin(),
        "phone": "+77015550303",
        field: "<script>x</script>",
    }
    answer = client.post(f"{API}/register", body, content_type="application/json")
    assert answer.status_code == 400, answer.content


# --- names shown with bidi isolation -------------------------------------------------------------


def test_names_are_shown_isolated_and_without_bidi_overrides(client) -> None:
    from qaryz.access.testing import make_staff, sign_in_client, sign_in_staff

    # A name kept before input validation existed, holding a right-to-left override.
    person = make_client(surname="Иванов\u202e", given_name="Пётр")
    sign_in_staff(client, make_staff("underwriter"))
    for url in ("/backoffice/clients/", f"/backoffice/clients/{person.pk}/"):
        page = client.get(url).content.decode()
        assert "<bdi>Иванов Пётр</bdi>" in page, url
        assert "\u202e" not in page, url
    client.logout()
    sign_in_client(client, person)
    home = client.get("/cabinet/").content.decode()
    assert "<bdi>Иванов Пётр</bdi>" in home and "\u202e" not in home
