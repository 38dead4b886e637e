"""WebAuthn security keys as the client's second factor (R-AUTH-1, R-AUTH-4, R-AUTH-6).

A software authenticator (``qaryz.access.testing.SoftAuthenticator``: EC P-256, "none"
attestation, real CBOR and ECDSA) answers the server's options as a browser and key would.
"""

import datetime as dt
import json

import pytest
import time_machine
from django.utils import timezone, translation

from qaryz.access import security_keys
from qaryz.access.models import ClientCredential, OtpChallenge, WebAuthnKey
from qaryz.access.testing import TEST_PASSWORD, SoftAuthenticator, make_client, sign_in_client
from qaryz.messaging.models import Notification


def _msg(reason):
    with translation.override("ru"):
        return str(security_keys.MESSAGES[reason])


def _post_json(client, url, body=None, **extra):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json", **extra)


def _enrol(client, person, key, *, name="Мой ключ"):
    sign_in_client(client, person)
    options = _post_json(client, "/account/second-factor/keys/options/").json()["publicKey"]
    response = _post_json(
        client, "/account/second-factor/keys/verify/", {"credential": key.create(options), "name": name}
    )
    assert response.status_code == 200, response.content
    client.cookies.clear()
    return response


def _password_step(client, person):
    response = client.post("/login/", {"phone": person.phone, "password": TEST_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/login/code/"
    return _post_json(client, "/login/key/options/")


def _sign_in(client, person, key, **get_kwargs):
    options = _password_step(client, person).json()["publicKey"]
    return _post_json(client, "/login/key/verify/", {"credential": key.get(options, **get_kwargs)})


@pytest.mark.req("R-AUTH-1", "R-AUTH-6")
@pytest.mark.django_db
def test_enrol_a_key_then_sign_in_with_it(client, outbox, audited):
    person = make_client()
    key = SoftAuthenticator()
    sign_in_client(client, person)
    page = client.get("/account/second-factor/").content.decode()
    assert "access/webauthn.js" in page and "<script>" not in page  # a file, no inline script
    options = _post_json(client, "/account/second-factor/keys/options/").json()["publicKey"]
    assert options["rp"]["id"] == "testserver"
    assert options["attestation"] == "none"
    assert options["authenticatorSelection"]["userVerification"] == "preferred"
    assert options["timeout"] == 120_000
    assert client.session[security_keys.ENROL_SESSION_KEY]["challenge"] == options["challenge"]
    response = _post_json(
        client, "/account/second-factor/keys/verify/", {"credential": key.create(options), "name": "YubiKey"}
    )
    assert response.json() == {"redirect": "/account/second-factor/"}
    assert security_keys.ENROL_SESSION_KEY not in client.session
    stored = WebAuthnKey.objects.get(client=person)
    assert bytes(stored.credential_id) == key.credential_id and stored.name == "YubiKey"
    assert stored.transports == ["usb", "nfc"]
    assert ClientCredential.objects.get(client=person).second_factor == "webauthn"
    assert "access.webauthn_enrolled" in audited()
    note = Notification.objects.filter(client=person).latest("id")
    assert "YubiKey" in note.body
    assert "YubiKey" in client.get("/account/second-factor/").content.decode()

    client.cookies.clear()
    sms_before = len(outbox(person.phone))
    response = client.post("/login/", {"phone": person.phone, "password": TEST_PASSWORD})
    page = client.get("/login/code/").content.decode()
    assert 'data-webauthn="login"' in page and 'name="code"' not in page
    assert len(outbox(person.phone)) == sms_before  # no SMS code when the key is the factor
    options = _post_json(client, "/login/key/options/").json()["publicKey"]
    assert [c["id"] for c in options["allowCredentials"]] == [key.b64(key.credential_id)]
    assert options["allowCredentials"][0]["transports"] == ["usb", "nfc"]
    assert options["userVerification"] == "preferred" and options["rpId"] == "testserver"
    assert client.get("/cabinet/").status_code == 302  # the password alone opens nothing
    response = _post_json(client, "/login/key/verify/", {"credential": key.get(options)})
    assert response.status_code == 200 and response.json() == {"redirect": "/cabinet/"}
    assert client.get("/cabinet/").status_code == 200
    stored.refresh_from_db()
    assert stored.sign_count == 1 and stored.last_used_at is not None
    assert audited()[-1] == "access.login"


@pytest.mark.req("R-AUTH-1")
@pytest.mark.django_db
def test_registration_challenge_is_single_use_and_short_lived(client, audited):
    person = make_client()
    key = SoftAuthenticator()
    sign_in_client(client, person)
    options = _post_json(client, "/account/second-factor/keys/options/").json()["publicKey"]
    answer = key.create(options)
    assert (
        _post_json(client, "/account/second-factor/keys/verify/", {"credential": answer}).status_code == 200
    )
    # The same response again: the challenge is gone.
    again = _post_json(client, "/account/second-factor/keys/verify/", {"credential": answer})
    assert again.status_code == 400 and again.json()["error"] == _msg("unknown")
    assert WebAuthnKey.objects.filter(client=person).count() == 1
    # An answer after the timeout is refused, and the late challenge cannot be retried.
    other = SoftAuthenticator()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        options = _post_json(client, "/account/second-factor/keys/options/").json()["publicKey"]
    with time_machine.travel(start + dt.timedelta(seconds=121), tick=False):
        late = _post_json(
            client, "/account/second-factor/keys/verify/", {"credential": other.create(options)}
        )
        assert late.status_code == 400 and late.json()["error"] == _msg("expired")
        retry = _post_json(
            client, "/account/second-factor/keys/verify/", {"credential": other.create(options)}
        )
        assert retry.json()["error"] == _msg("unknown")
    assert WebAuthnKey.objects.filter(client=person).count() == 1


@pytest.mark.req("R-AUTH-1")
@pytest.mark.django_db
def test_enrolment_refuses_wrong_origin_and_wrong_challenge(client, audited):
    person = make_client()
    sign_in_client(client, person)
    for kwargs in ({"origin": "https://qaryz.evil.example"}, {"challenge": SoftAuthenticator.b64(b"x" * 32)}):
        options = _post_json(client, "/account/second-factor/keys/options/").json()["publicKey"]
        answer = SoftAuthenticator().create(options, **kwargs)
        response = _post_json(client, "/account/second-factor/keys/verify/", {"credential": answer})
        assert response.status_code == 400, kwargs
        assert response.json()["error"] == _msg("refused")
    assert not WebAuthnKey.objects.filter(client=person).exists()
    assert ClientCredential.objects.get(client=person).second_factor == "sms"
    assert audited().count("access.webauthn_enrol_failed") == 2
    # Garbage is refused the same way (no server error).
    _post_json(client, "/account/second-factor/keys/options/")
    junk = _post_json(client, "/account/second-factor/keys/verify/", {"credential": {"id": "x"}})
    assert junk.status_code == 400


@pytest.mark.req("R-AUTH-1")
@pytest.mark.django_db
def test_the_same_key_cannot_be_enrolled_twice(client):
    person = make_client()
    key = SoftAuthenticator()
    _enrol(client, person, key)
    sign_in_client(client, person)
    options = _post_json(client, "/account/second-factor/keys/options/").json()["publicKey"]
    assert options["excludeCredentials"][0]["id"] == key.b64(key.credential_id)
    with pytest.raises(ValueError, match="InvalidStateError"):
        key.create(options)
    # A browser ignoring excludeCredentials still gets no second row.
    options["excludeCredentials"] = []
    response = _post_json(client, "/account/second-factor/keys/verify/", {"credential": key.create(options)})
    assert response.status_code == 400
    assert WebAuthnKey.objects.filter(client=person).count() == 1


@pytest.mark.req("R-AUTH-1")
@pytest.mark.django_db
def test_sign_in_refuses_wrong_challenge_and_wrong_origin(client, audited):
    person = make_client()
    key = SoftAuthenticator()
    _enrol(client, person, key)
    options = _password_step(client, person).json()["publicKey"]
    wrong = key.get(options, challenge=key.b64(b"another challenge, not the server's"))
    response = _post_json(client, "/login/key/verify/", {"credential": wrong})
    assert response.status_code == 400 and response.json()["restart"] is False
    # The challenge was spent by the failed try: a correct answer to it is refused too.
    response = _post_json(client, "/login/key/verify/", {"credential": key.get(options)})
    assert response.status_code == 400
    options = _post_json(client, "/login/key/options/").json()["publicKey"]
    phished = key.get(options, origin="https://qaryz-login.example")
    response = _post_json(client, "/login/key/verify/", {"credential": phished})
    assert response.status_code == 400 and response.json()["restart"] is True  # third failure
    assert response.json()["error"] == _msg("too_many")
    assert client.get("/cabinet/").status_code == 302
    assert audited().count("access.login_failed") == 3
    assert client.get("/login/code/")["Location"] == "/login/"  # start again from the password
    assert _post_json(client, "/login/key/options/").status_code == 400


@pytest.mark.req("R-AUTH-1")
@pytest.mark.django_db
def test_replayed_assertion_is_refused(client):
    person = make_client()
    key = SoftAuthenticator()
    _enrol(client, person, key)
    options = _password_step(client, person).json()["publicKey"]
    captured = key.get(options)
    assert _post_json(client, "/login/key/verify/", {"credential": captured}).status_code == 200
    client.cookies.clear()
    _password_step(client, person)
    response = _post_json(client, "/login/key/verify/", {"credential": captured})
    assert response.status_code == 400
    assert client.get("/cabinet/").status_code == 302
    # Service level: the same challenge cannot be answered twice, even by the genuine key.
    public_id = client.session["qaryz_login_challenge"]
    rp = security_keys.RelyingParty("testserver", ["http://testserver"])
    options = security_keys.login_options(public_id, rp)
    answer = key.get(options)
    assert security_keys.login_verify(public_id, answer, rp) == person
    with pytest.raises(security_keys.KeyRefused) as refused:
        security_keys.login_verify(public_id, key.get(options), rp)
    assert refused.value.reason == "used"


@pytest.mark.req("R-AUTH-1", "R-AUTH-6")
@pytest.mark.django_db
def test_cloned_authenticator_with_non_increasing_counter_is_refused_and_audited(client, audited):
    person = make_client()
    key = SoftAuthenticator()
    _enrol(client, person, key)
    thief = key.clone()  # counter 0, like the original at copy time
    assert _sign_in(client, person, key).status_code == 200  # genuine: counter 1
    client.cookies.clear()
    response = _sign_in(client, person, thief)  # the copy also says 1: not greater than 1
    assert response.status_code == 400 and response.json()["restart"] is True
    assert response.json()["error"] == _msg("clone")
    assert client.get("/cabinet/").status_code == 302
    assert "access.webauthn_clone_suspected" in audited()
    note = Notification.objects.filter(client=person).latest("id")
    assert "copied" in note.body or "скопирован" in note.body
    # The pending sign-in is dead: no retry on it, even with a growing counter.
    public_id = OtpChallenge.objects.filter(method="webauthn").latest("id").public_id
    with pytest.raises(security_keys.KeyRefused):
        security_keys.login_options(
            public_id, security_keys.RelyingParty("testserver", ["http://testserver"])
        )
    assert WebAuthnKey.objects.get(client=person).sign_count == 1
    # A counter that went backwards is refused too; the genuine key going on works.
    client.cookies.clear()
    key.sign_count = 0
    assert _sign_in(client, person, key).status_code == 400
    key.sign_count = 5
    client.cookies.clear()
    assert _sign_in(client, person, key).status_code == 200
    assert WebAuthnKey.objects.get(client=person).sign_count == 6


@pytest.mark.req("R-AUTH-1")
@pytest.mark.django_db
def test_keys_without_a_counter_are_accepted(client):
    """Some authenticators always report 0 (no counter): allowed while both sides stay 0."""
    person = make_client()
    key = SoftAuthenticator()
    _enrol(client, person, key)
    for _ in range(2):
        client.cookies.clear()
        assert _sign_in(client, person, key, count=False).status_code == 200


@pytest.mark.req("R-AUTH-1")
@pytest.mark.django_db
def test_foreign_credential_is_refused(client, audited):
    person, stranger = make_client(), make_client()
    key, stranger_key = SoftAuthenticator(), SoftAuthenticator()
    _enrol(client, person, key)
    _enrol(client, stranger, stranger_key)
    options = _password_step(client, person).json()["publicKey"]
    assert [c["id"] for c in options["allowCredentials"]] == [key.b64(key.credential_id)]
    with pytest.raises(ValueError, match="NotAllowedError"):
        stranger_key.get(options)  # a browser would not even offer it
    forged = stranger_key.get(options, ignore_allow_list=True)
    response = _post_json(client, "/login/key/verify/", {"credential": forged})
    assert response.status_code == 400
    assert response.json()["error"] == _msg("foreign")
    unknown = SoftAuthenticator().get(
        _post_json(client, "/login/key/options/").json()["publicKey"], ignore_allow_list=True
    )
    assert _post_json(client, "/login/key/verify/", {"credential": unknown}).status_code == 400
    assert client.get("/cabinet/").status_code == 302
    # A key signing with another key's credential id (forged id) fails the signature check.
    options = _post_json(client, "/login/key/options/").json()["publicKey"]
    impostor = SoftAuthenticator()
    impostor.credential_id = key.credential_id
    assert _post_json(client, "/login/key/verify/", {"credential": impostor.get(options)}).status_code == 400
    assert audited().count("access.login_failed") == 3


@pytest.mark.req("R-AUTH-1", "R-AUTH-6")
@pytest.mark.django_db
def test_remove_key_falls_back_to_sms(client, outbox, audited):
    person = make_client()
    first, second = SoftAuthenticator(), SoftAuthenticator()
    _enrol(client, person, first, name="Первый")
    _enrol(client, person, second, name="Второй")
    sign_in_client(client, person)
    keys = list(WebAuthnKey.objects.filter(client=person))
    stranger = make_client()
    other_key = SoftAuthenticator()
    _enrol(client, stranger, other_key)
    sign_in_client(client, person)
    client.post(f"/account/second-factor/keys/{WebAuthnKey.objects.get(client=stranger).pk}/remove/")
    assert WebAuthnKey.objects.filter(client=stranger).exists()  # not someone else's key
    client.post(f"/account/second-factor/keys/{keys[0].pk}/remove/")
    assert ClientCredential.objects.get(client=person).second_factor == "webauthn"  # one key left
    assert "Первый" in Notification.objects.filter(client=person).latest("id").body
    client.post(f"/account/second-factor/keys/{keys[1].pk}/remove/")
    assert not WebAuthnKey.objects.filter(client=person).exists()
    assert ClientCredential.objects.get(client=person).second_factor == "sms"
    assert audited().count("access.webauthn_removed") == 2
    client.cookies.clear()
    sms_before = len(outbox(person.phone))
    client.post("/login/", {"phone": person.phone, "password": TEST_PASSWORD})
    assert len(outbox(person.phone)) == sms_before + 1  # SMS code again
    assert 'name="code"' in client.get("/login/code/").content.decode()


@pytest.mark.req("R-AUTH-1", "R-AUTH-6")
@pytest.mark.django_db
def test_switch_between_sms_and_the_key(client, outbox, audited):
    person = make_client()
    key = SoftAuthenticator()
    _enrol(client, person, key)
    sign_in_client(client, person)
    client.post("/account/second-factor/", {"disable": "1"})
    assert ClientCredential.objects.get(client=person).second_factor == "sms"
    assert WebAuthnKey.objects.filter(client=person).exists()  # kept, can be chosen again
    client.post("/account/second-factor/", {"use_keys": "1"})
    assert ClientCredential.objects.get(client=person).second_factor == "webauthn"
    assert {"access.webauthn_disabled", "access.webauthn_selected"} <= set(audited())
    other = make_client()
    sign_in_client(client, other)
    client.post("/account/second-factor/", {"use_keys": "1"})
    assert ClientCredential.objects.get(client=other).second_factor == "sms"  # no key: nothing to use


@pytest.mark.req("R-AUTH-1", "R-MOB-1")
@pytest.mark.django_db
def test_mobile_api_sign_in_with_a_key(client):
    person = make_client()
    key = SoftAuthenticator()
    _enrol(client, person, key)
    started = _post_json(client, "/api/v1/access/login", {"phone": person.phone, "password": TEST_PASSWORD})
    assert started.json()["method"] == "webauthn"
    challenge_id = started.json()["challenge_id"]
    options = _post_json(client, "/api/v1/access/login/key/options", {"challenge_id": challenge_id})
    options = options.json()["publicKey"]
    bad = _post_json(
        client,
        "/api/v1/access/login/key/verify",
        {"challenge_id": challenge_id, "credential": key.get(options, origin="https://evil.example")},
    )
    assert bad.status_code == 401
    options = _post_json(client, "/api/v1/access/login/key/options", {"challenge_id": challenge_id}).json()
    response = _post_json(
        client,
        "/api/v1/access/login/key/verify",
        {"challenge_id": challenge_id, "credential": key.get(options["publicKey"]), "device_id": "pixel-9"},
    )
    assert response.status_code == 200, response.content
    token = response.json()["access_token"]
    assert client.get("/api/v1/access/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    # An SMS-code verify on a key challenge is refused (no code exists).
    again = _post_json(
        client, "/api/v1/access/login/verify", {"challenge_id": challenge_id, "code": "123456"}
    )
    assert again.status_code == 401


@pytest.mark.req("R-AUTH-1")
@pytest.mark.django_db
def test_relying_party_from_settings(rf, settings):
    request = rf.get("/", HTTP_HOST="localhost:8101")
    settings.ALLOWED_HOSTS = ["localhost"]
    rp = security_keys.relying_party(request)
    assert rp.rp_id == "localhost" and rp.origins == ["http://localhost:8101"]
    settings.WEBAUTHN_RP_ID = "qaryz.kz"
    settings.WEBAUTHN_ORIGINS = ["https://qaryz.kz", "https://www.qaryz.kz"]
    rp = security_keys.relying_party(request)
    assert rp.rp_id == "qaryz.kz" and rp.origins == ["https://qaryz.kz", "https://www.qaryz.kz"]


@pytest.mark.req("R-AUTH-1", "R-AUTH-6", "R-ACC-1")
@pytest.mark.django_db
def test_staff_reset_after_a_lost_key_deletes_keys_and_falls_back_to_sms(client, outbox, audited):
    from qaryz.access.testing import make_staff, sign_in_staff

    person = make_client()
    key = SoftAuthenticator()
    _enrol(client, person, key)
    sign_in_staff(client, make_staff("support"))
    url = f"/backoffice/clients/{person.pk}/reset-second-factor/"
    client.post(url, {"reason": "  "})  # no reason: nothing happens
    assert WebAuthnKey.objects.filter(client=person).exists()
    client.post(url, {"reason": "Called from the registered phone, answered the security questions"})
    assert not WebAuthnKey.objects.filter(client=person).exists()
    assert ClientCredential.objects.get(client=person).second_factor == "sms"
    assert "access.second_factor_reset" in audited()
    with translation.override(person.preferred_language or "ru"):
        subject = translation.gettext("Sign-in method reset")
    assert Notification.objects.filter(client=person, subject=subject).exists()
    client.cookies.clear()
    # The lost key no longer signs in; the password step now asks for an SMS code.
    response = client.post("/login/", {"phone": person.phone, "password": TEST_PASSWORD})
    assert response["Location"] == "/login/code/"
    assert _post_json(client, "/login/key/options/").status_code != 200
