"""Login by phone + password + second factor, lockout, idle timeout, sessions (R-AUTH-1..6, R-WEB-1..4)."""

import datetime as dt
import re
import threading

import pyotp
import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from qaryz.access import services
from qaryz.access.models import ClientCredential, ClientSession
from qaryz.access.testing import TEST_PASSWORD, make_client, sign_in_client
from qaryz.messaging.models import Notification


def _code(outbox, phone):
    return re.search(r"\b(\d{6})\b", outbox(phone)[-1].text).group(1)


def _login(client, outbox, person, password=TEST_PASSWORD, **extra):
    response = client.post("/login/", {"phone": person.phone, "password": password}, **extra)
    assert response.status_code == 302, response.content.decode()[-3000:]
    return client.post("/login/code/", {"code": _code(outbox, person.phone)}, **extra)


@pytest.mark.req("R-AUTH-1", "R-AUTH-6")
@pytest.mark.django_db
def test_login_with_sms_second_factor_and_notification(client, outbox, audited):
    person = make_client()
    response = _login(
        client,
        outbox,
        person,
        HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0",
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 302 and response["Location"] == "/cabinet/"
    assert client.get("/cabinet/").status_code == 200
    note = Notification.objects.filter(client=person).latest("id")
    assert "10.1.2.3" in note.body and "Chrome, Linux" in note.body
    assert "10.1.2.3" in outbox(person.phone)[-1].text  # the same by SMS
    assert "access.login" in audited()


@pytest.mark.req("R-AUTH-1")
@pytest.mark.django_db
def test_password_alone_is_not_enough(client, outbox):
    person = make_client()
    client.post("/login/", {"phone": person.phone, "password": TEST_PASSWORD})
    assert client.get("/cabinet/")["Location"].startswith("/login/")
    response = client.post("/login/code/", {"code": "000000"})
    assert response.status_code == 200
    assert client.get("/cabinet/").status_code == 302


@pytest.mark.req("R-AUTH-1", "R-ONB-5")
@pytest.mark.django_db
def test_totp_second_factor(client, outbox):
    person = make_client()
    secret = pyotp.random_base32()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        services.enrol_client_totp(person, secret, pyotp.TOTP(secret).now())
    sms_before = len(outbox(person.phone))
    with time_machine.travel(start + dt.timedelta(seconds=31), tick=False):
        client.post("/login/", {"phone": person.phone, "password": TEST_PASSWORD})
        assert len(outbox(person.phone)) == sms_before  # no SMS code when the app is the factor
        response = client.post("/login/code/", {"code": pyotp.TOTP(secret).now()})
        assert response["Location"] == "/cabinet/"


@pytest.mark.req("R-AUTH-2", "R-AUTH-6")
@pytest.mark.django_db
def test_three_wrong_passwords_lock_for_15_minutes(client, outbox, audited, settings):
    person = make_client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(3):
            response = client.post("/login/", {"phone": person.phone, "password": "wrong-password"})
            assert response.status_code == 200
        credential = ClientCredential.objects.get(client=person)
        assert credential.locked_until == start + dt.timedelta(minutes=15)
        response = client.post("/login/", {"phone": person.phone, "password": TEST_PASSWORD})
        assert response.status_code == 200  # the right password is refused while locked
        assert "access.locked" in audited()
        assert (
            "Доступ заблокирован" in outbox(person.phone)[-1].text
            or "blocked" in outbox(person.phone)[-1].text
        )
    with time_machine.travel(start + dt.timedelta(minutes=14, seconds=59), tick=False):
        assert client.post("/login/", {"phone": person.phone, "password": TEST_PASSWORD}).status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=15, seconds=1), tick=False):
        response = client.post("/login/", {"phone": person.phone, "password": TEST_PASSWORD})
        assert response.status_code == 302
        assert audited().count("access.unlocked") == 1


@pytest.mark.req("R-AUTH-2")
@pytest.mark.django_db
def test_unknown_phone_gives_same_answer(client):
    person = make_client()
    a = client.post("/login/", {"phone": "+77000000001", "password": "x" * 12}).content.decode()
    b = client.post("/login/", {"phone": person.phone, "password": "x" * 12}).content.decode()
    strip = lambda html: re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)  # noqa: E731
    assert strip(a).replace("+77000000001", "").count("errorlist") == strip(b).count("errorlist")


@pytest.mark.req("R-AUTH-2")
@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_passwords_check_at_most_three(monkeypatch):
    """20 threads with wrong passwords at once: at most 3 password checks run (race-proof counter)."""
    if connection.vendor != "postgresql":
        pytest.skip("real row-level concurrency needs PostgreSQL")
    person = make_client()
    checks = []
    lock = threading.Lock()
    real = services._password_matches

    def counting(password, encoded):
        with lock:
            checks.append(1)
        return real(password, encoded)

    monkeypatch.setattr(services, "_password_matches", counting)
    barrier = threading.Barrier(20)
    outcomes = []

    def attempt():
        from django.db import connections

        try:
            barrier.wait()
            try:
                services.client_check_password(person.phone, "wrong-password-1")
            except services.AccessError as exc:
                outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(checks) <= 3
    assert outcomes.count("locked") >= 17
    assert ClientCredential.objects.get(client=person).locked_until is not None


@pytest.mark.req("R-AUTH-3")
@pytest.mark.django_db
def test_idle_session_ends_on_the_server(client, settings):
    person = make_client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        session = sign_in_client(client, person)
        assert client.get("/cabinet/").status_code == 200
    with time_machine.travel(start + dt.timedelta(seconds=settings.SESSION_IDLE_SECONDS - 10), tick=False):
        assert client.get("/cabinet/").status_code == 200  # activity slides the window
    later = start + dt.timedelta(seconds=2 * settings.SESSION_IDLE_SECONDS - 20)
    with time_machine.travel(later, tick=False):
        assert client.get("/cabinet/").status_code == 200
    with time_machine.travel(later + dt.timedelta(seconds=settings.SESSION_IDLE_SECONDS + 1), tick=False):
        response = client.get("/cabinet/")
        assert response.status_code == 302 and response["Location"].startswith("/login/")
        # The server-side session data is gone: the old cookie is worthless even if replayed.
        from importlib import import_module

        store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session.session_key)
        assert services.CLIENT_SESSION_KEY not in store.load()


@pytest.mark.req("R-AUTH-6", "R-AUTH-3")
@pytest.mark.django_db
def test_password_change_ends_other_sessions(client, outbox, audited):
    from django.test import Client as Browser

    person = make_client()
    other = Browser()
    other_session = sign_in_client(other, person)
    sign_in_client(client, person)
    assert other.get("/cabinet/").status_code == 200
    new = "Another-Strong-Pass-93"
    response = client.post(
        "/account/password/", {"current": TEST_PASSWORD, "password1": new, "password2": new}
    )
    assert response.status_code == 302
    assert client.get("/cabinet/").status_code == 200
    assert other.get("/cabinet/").status_code == 302
    other_session.refresh_from_db()
    assert other_session.end_reason == "password_changed"
    assert "access.password_changed" in audited()
    assert Notification.objects.filter(client=person).exists()
    assert services.client_check_password(person.phone, new) == person


@pytest.mark.req("R-AUTH-4", "R-WEB-3", "R-WEB-2", "R-WEB-1", "R-WEB-4")
@pytest.mark.django_db
def test_login_page_masks_and_brands(client):
    body = client.get("/login/").content.decode()
    assert 'type="password"' in body and 'autocomplete="off"' in body
    assert "remember" not in body.lower()
    assert 'id="cyber-hygiene"' in body
    assert "/static/access/secret-toggle.js" in body and "<script>" not in body
    assert "brand.css" in body and "brand-logo" in body
    response = client.post("/login/?next=/cabinet/", {"phone": "+77011111111", "password": "secret-value"})
    assert "secret-value" not in response.content.decode()


@pytest.mark.req("R-AUTH-4", "R-WEB-2")
@pytest.mark.django_db
def test_no_credentials_in_cookies_other_than_session(client, outbox, settings):
    person = make_client()
    response = _login(client, outbox, person)
    for name, morsel in response.cookies.items():
        assert person.phone not in morsel.value and TEST_PASSWORD not in morsel.value
        if name == settings.SESSION_COOKIE_NAME:
            assert morsel["httponly"] and morsel["samesite"] == "Lax"
            assert not morsel["expires"] or settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


@pytest.mark.req("R-AUTH-3", "R-AUTH-4")
@pytest.mark.django_db
def test_logout_ends_session(client):
    person = make_client()
    session = sign_in_client(client, person)
    client.post("/logout/")
    session.refresh_from_db()
    assert session.ended_at is not None
    assert client.get("/cabinet/").status_code == 302


@pytest.mark.req("R-AUTH-1", "R-MOB-1", "R-AUTH-3")
@pytest.mark.django_db
def test_api_login_and_short_lived_token(client, outbox, settings):
    person = make_client()
    response = client.post(
        "/api/v1/access/login",
        {"phone": person.phone, "password": TEST_PASSWORD},
        content_type="application/json",
    )
    challenge = response.json()["challenge_id"]
    response = client.post(
        "/api/v1/access/login/verify",
        {"challenge_id": challenge, "code": _code(outbox, person.phone), "device_id": "pixel-8"},
        content_type="application/json",
    )
    token = response.json()["access_token"]
    start = timezone.now()
    assert client.get("/api/v1/access/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    with time_machine.travel(start + dt.timedelta(seconds=settings.API_TOKEN_SECONDS + 5), tick=False):
        assert client.get("/api/v1/access/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    bad = client.post(
        "/api/v1/access/login",
        {"phone": person.phone, "password": "nope-nope"},
        content_type="application/json",
    )
    assert bad.status_code == 401 and set(bad.json()) >= {"error", "reference"}
    assert ClientSession.objects.filter(client=person, kind="api").count() == 1


@pytest.mark.req("R-AUTH-5")
@pytest.mark.django_db
def test_totp_code_cannot_be_replayed(client, outbox):
    person = make_client()
    secret = pyotp.random_base32()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        services.enrol_client_totp(person, secret, pyotp.TOTP(secret).now())
    with time_machine.travel(start + dt.timedelta(seconds=35), tick=False):
        code = pyotp.TOTP(secret).now()
        client.post("/login/", {"phone": person.phone, "password": TEST_PASSWORD})
        assert client.post("/login/code/", {"code": code})["Location"] == "/cabinet/"
        other = type(client)()
        other.post("/login/", {"phone": person.phone, "password": TEST_PASSWORD})
        response = other.post("/login/code/", {"code": code})
        assert response.status_code == 200  # the same code a second time is refused
        assert other.get("/cabinet/").status_code == 302


@pytest.mark.req("R-AUTH-1", "R-ONB-8")
@pytest.mark.django_db
def test_signing_in_again_within_the_resend_pause_goes_back_to_the_code_already_sent(client, outbox):
    from django.test import Client as Browser

    person = make_client()
    form = {"phone": person.phone, "password": TEST_PASSWORD}
    assert client.post("/login/", form)["Location"] == "/login/code/"
    sent = len(outbox(person.phone))
    again = client.post("/login/", form)  # back button, password typed again: no second SMS
    assert again.status_code == 302 and again["Location"] == "/login/code/"
    assert len(outbox(person.phone)) == sent
    assert client.post("/login/code/", {"code": _code(outbox, person.phone)})["Location"] == "/cabinet/"
    # Another browser (no pending challenge of this client) still gets the pause message.
    other = Browser().post("/login/", form)
    assert other.status_code == 200 and "/login/code/" not in other.get("Location", "")
