"""Device binding and token theft (R-MOB-1): a bound token needs a proof of its key, proofs are
single-use and fresh, refresh tokens rotate and a reuse ends the whole family."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from qaryz.access.models import ClientSession
from qaryz.devices import proof as dpop
from qaryz.devices.models import Device, DeviceSession, RefreshToken, TokenFamily
from qaryz.devices.testing import App, DeviceKey

pytestmark = [pytest.mark.django_db, pytest.mark.req("R-MOB-1")]
ME = "/api/v1/access/me"


def _get(http, token: str, proof: str | None = None, scheme: str = "DPoP"):
    headers = {"HTTP_AUTHORIZATION": f"{scheme} {token}"}
    if proof is not None:
        headers["HTTP_DPOP"] = proof
    return http.get(ME, **headers)


def test_sign_in_with_a_proof_binds_the_device_and_issues_a_dpop_pair(client, signed_in_app, audited):
    person, app = signed_in_app()
    device = Device.objects.get(client=person)
    assert device.jkt == app.key.jkt and device.public_id == app.device_id
    assert device.name == "Pixel 8" and device.platform == "android" and device.app_version == "1.0.0"
    assert app.call("GET", ME).status_code == 200
    assert "devices.bound" in audited() and "access.login" in audited()
    # Only hashes are stored.
    assert not RefreshToken.objects.filter(token_hash=app.refresh).exists()


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_both_key_types_work(client, signed_in_app, alg):
    _person, app = signed_in_app(App(client, DeviceKey(alg)))
    assert Device.objects.get(public_id=app.device_id).alg == alg
    assert app.call("GET", ME).status_code == 200


def test_bound_token_without_proof_is_refused(client, signed_in_app):
    _person, app = signed_in_app()
    for scheme in ("DPoP", "Bearer"):
        answer = _get(client, app.access, scheme=scheme)
        assert answer.status_code == 401 and answer.json()["error"] == "proof_required"


def test_stolen_token_replayed_with_another_key_is_refused(client, signed_in_app, audited):
    _person, app = signed_in_app()
    thief = DeviceKey()
    answer = _get(client, app.access, thief.proof("GET", "http://testserver" + ME, token=app.access))
    assert answer.status_code == 401 and answer.json()["error"] == "proof_wrong_key"
    assert "devices.proof_wrong_key" in audited()
    # A thief who puts the owner's public key in the header cannot sign for it.
    forged = thief.proof("GET", "http://testserver" + ME, token=app.access, jwk=app.key.jwk)
    assert _get(client, app.access, forged).json()["error"] == "proof_invalid"
    assert app.call("GET", ME).status_code == 200  # the owner is unaffected


def test_a_proof_is_used_once(client, signed_in_app):
    _person, app = signed_in_app()
    proof = app.key.proof("GET", "http://testserver" + ME, token=app.access)
    assert _get(client, app.access, proof).status_code == 200
    answer = _get(client, app.access, proof)
    assert answer.status_code == 401 and answer.json()["error"] == "proof_replayed"


def test_proof_must_match_method_url_time_and_token(client, signed_in_app, settings):
    _person, app = signed_in_app()
    url = "http://testserver" + ME
    now = int(timezone.now().timestamp())
    wrong = {
        "method": app.key.proof("POST", url, token=app.access),
        "url": app.key.proof("GET", "http://testserver/api/v1/devices/current", token=app.access),
        "old": app.key.proof("GET", url, token=app.access, iat=now - settings.DEVICE_PROOF_SKEW_SECONDS - 5),
        "future": app.key.proof(
            "GET", url, token=app.access, iat=now + settings.DEVICE_PROOF_SKEW_SECONDS + 5
        ),
        "other token": app.key.proof("GET", url, token="another-token"),
        "no ath": app.key.proof("GET", url),
        "garbage": "a.b.c",
    }
    for name, proof in wrong.items():
        answer = _get(client, app.access, proof)
        assert answer.status_code == 401, name
        assert answer.json()["error"] == "proof_invalid", name
    # Within the skew it is accepted.
    assert (
        _get(client, app.access, app.key.proof("GET", url, token=app.access, iat=now - 30)).status_code == 200
    )


def test_refresh_rotates_and_the_old_pair_stops(client, signed_in_app):
    _person, app = signed_in_app()
    old_access, old_refresh = app.access, app.refresh
    answer = app.renew()
    assert answer.status_code == 200 and app.refresh != old_refresh and app.access != old_access
    assert app.call("GET", ME).status_code == 200
    stale = _get(client, old_access, app.key.proof("GET", "http://testserver" + ME, token=old_access))
    assert stale.status_code == 401
    family = TokenFamily.objects.get()
    assert family.generation == 2 and family.revoked_at is None


def test_refresh_reuse_revokes_the_whole_family(client, signed_in_app, audited, settings):
    _person, app = signed_in_app()
    first = app.refresh
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert app.renew().status_code == 200  # generation 2
    with time_machine.travel(
        start + dt.timedelta(seconds=settings.DEVICE_REFRESH_GRACE_SECONDS + 1), tick=False
    ):
        assert app.renew().status_code == 200  # generation 3
        current_access = app.access
        # An attacker (or a replayed request) presents generation 1 again: the family ends.
        app.refresh = first
        answer = app.renew()
        assert answer.status_code == 401 and answer.json()["error"] == "refresh_reused"
    assert TokenFamily.objects.get().revoked_reason == "refresh_reused"
    assert "devices.refresh_reused" in audited()
    app.access = current_access
    assert app.call("GET", ME).status_code == 401  # the newest access token is dead too
    assert not ClientSession.objects.filter(device_binding__isnull=False, ended_at__isnull=True).exists()


def test_grace_only_for_the_immediately_previous_generation(client, signed_in_app, settings):
    _person, app = signed_in_app()
    gen1 = app.refresh
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert app.renew().status_code == 200  # gen 2 issued; suppose its answer was lost
        lost_access = app.access
        gen2 = app.refresh
        app.refresh = gen1
        assert app.renew().status_code == 200  # gen 1 again within the grace: gen 3
        assert TokenFamily.objects.get().revoked_at is None
        gen3 = app.refresh
        # The lost generation 2 was superseded: it no longer works, nor its access token.
        assert RefreshToken.objects.get(generation=2).used_at is not None
        lost = _get(client, lost_access, app.key.proof("GET", "http://testserver" + ME, token=lost_access))
        assert lost.status_code == 401
        assert gen2 != gen3
    # Generation 1 is now two generations old: reuse even within seconds revokes the family.
    with time_machine.travel(start + dt.timedelta(seconds=1), tick=False):
        app.refresh = gen1
        assert app.renew().json()["error"] == "refresh_reused"
    assert TokenFamily.objects.get().revoked_at is not None


def test_grace_expires(client, signed_in_app, settings):
    _person, app = signed_in_app()
    gen1 = app.refresh
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert app.renew().status_code == 200
    with time_machine.travel(
        start + dt.timedelta(seconds=settings.DEVICE_REFRESH_GRACE_SECONDS + 1), tick=False
    ):
        app.refresh = gen1
        assert app.renew().json()["error"] == "refresh_reused"


def test_refresh_with_another_key_revokes_the_family(client, signed_in_app, audited):
    _person, app = signed_in_app()
    stolen = app.refresh
    thief = App(client, DeviceKey())
    thief.refresh = stolen
    answer = thief.renew()
    assert answer.status_code == 401 and answer.json()["error"] == "refresh_wrong_key"
    assert "devices.refresh_wrong_key" in audited()
    assert app.renew().status_code == 401  # the owner signs in again; the thief got nothing


def test_access_token_is_short_lived(client, signed_in_app, settings):
    _person, app = signed_in_app()
    start = timezone.now()
    with time_machine.travel(
        start + dt.timedelta(seconds=settings.DEVICE_ACCESS_TOKEN_SECONDS + 1), tick=False
    ):
        answer = app.call("GET", ME)
        assert answer.status_code == 401 and answer.json()["error"] == "token_expired"
        assert app.renew().status_code == 200
        assert app.call("GET", ME).status_code == 200


def test_password_change_ends_the_refresh_family(client, signed_in_app):
    from qaryz.access.services import set_client_password

    person, app = signed_in_app()
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=2), tick=False):
        set_client_password(person, "Another-Strong-Password-2026")
        assert app.renew().status_code == 401


def test_logout_ends_the_family(client, signed_in_app):
    _person, app = signed_in_app()
    assert app.call("POST", "/api/v1/access/logout").status_code == 200
    assert app.renew().status_code == 401


def test_unbound_tokens_keep_working(client, outbox):
    """The decision (docs/devices.md): sign-ins without a proof get an unbound bearer token."""
    from qaryz.access.services import issue_api_token
    from qaryz.access.testing import make_client

    token, _session = issue_api_token(make_client())
    assert client.get(ME, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_an_unbound_app_binds_its_key(client):
    from qaryz.access.services import issue_api_token
    from qaryz.access.testing import make_client

    person = make_client()
    token, session = issue_api_token(person)
    app = App(client)
    path = "/api/v1/devices/bind"
    answer = client.post(
        path, {"name": "iPhone"}, content_type="application/json", **app.headers("POST", path, token=token)
    )
    assert answer.status_code == 200, answer.content
    app.keep(answer)
    assert client.get(ME, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401  # the unbound one ended
    assert app.call("GET", ME).status_code == 200
    assert DeviceSession.objects.get(session__token_hash__isnull=False, device__client=person)


def test_proof_parser_refuses_bad_keys():
    key = DeviceKey()
    proof = key.proof("GET", "https://x/y")
    head, body, sig = proof.split(".")
    with pytest.raises(dpop.ProofError):
        dpop.parse(head + "." + body + "." + sig[:-4] + "AAAA")
    with pytest.raises(dpop.ProofError):
        dpop.parse(key.proof("GET", "https://x/y", jwk={"kty": "RSA", "n": "x", "e": "AQAB"}))
    assert dpop.parse(proof).jkt == key.jkt
    # RFC 7638 example-like stability: the thumbprint ignores member order and extra members.
    assert dpop.thumbprint({**key.jwk, "kid": "ignored"}) == key.jkt
