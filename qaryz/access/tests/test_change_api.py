"""Phone and bank-details change and password change through /api/v1 only (R-ONB-6, R-AUTH-6,
R-CH-1): the same step-ups as the web – for a phone, the code sent to the NEW number; for both, a
fresh biometric check with the change's purpose and the change request signed with the EDS (a
real CMS from the test PKI through /api/v1/signatures). Another client's change is "not found";
bad input is a 4xx with the one error body."""

from __future__ import annotations

import base64
import json
import re

import pytest

from qaryz.access.services import client_check_password, issue_api_token
from qaryz.access.testing import TEST_PASSWORD, make_client
from qaryz.biometrics.models import Verification
from qaryz.clients.models import BankAccount, Client
from qaryz.lending.tests.test_signing import passed_biometrics
from qaryz.signatures.tests.conftest import GOOD_IIN, eds_settings, test_pki  # noqa: F401

pytestmark = pytest.mark.django_db
NEW_PHONE = "+77479998877"


def _call(client, token, method, path, body=None, **headers):
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}", **headers}
    if body is None:
        return getattr(client, method)(f"/api/v1{path}", **kwargs)
    return getattr(client, method)(
        f"/api/v1{path}", data=json.dumps(body), content_type="application/json", **kwargs
    )


def _error(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) <= {"error", "reference", "detail"} and body["reference"] and body["error"]
    return body


def _code(outbox, phone):
    return re.search(r"\b(\d{6})\b", outbox(phone)[-1].text).group(1)


def _sign(client, token, pki, request_id):
    fetched = _call(client, token, "get", f"/signatures/requests/{request_id}").json()
    payload = base64.b64decode(fetched["payload_base64"])
    cms = base64.b64encode(pki.pki.sign(pki.good.label, payload, detached=False)).decode()
    answer = _call(client, token, "post", f"/signatures/requests/{request_id}/submit", {"cms": cms})
    assert answer.status_code == 200 and answer.json()["accepted"], answer.content
    return payload


@pytest.mark.req("R-ONB-6", "R-AUTH-6", "R-CH-1", "R-MOB-1")
def test_phone_change_needs_the_new_numbers_code_biometrics_and_eds(client, outbox, eds_settings, audited):  # noqa: F811
    person = make_client(iin=GOOD_IIN)
    old_phone = person.phone
    token, _session = issue_api_token(person)
    started = _call(client, token, "post", "/access/changes", {"purpose": "change_phone", "phone": NEW_PHONE})
    assert started.status_code == 201, started.content
    change = started.json()
    assert change["new_value"] == NEW_PHONE and change["biometrics_purpose"] == "change_phone"
    assert change["steps"] == {"phone_verified": False, "biometrics": False, "eds": False, "ready": False}
    challenge = change["phone_challenge"]["challenge_id"]
    code = _code(outbox, NEW_PHONE)  # the code goes to the NEW number, not the old one
    assert not any(code in m.text for m in outbox(old_phone))
    url = f"/access/changes/{change['id']}"

    # Nothing confirmed: refused, nothing changes.
    refused = _call(client, token, "post", f"{url}/apply", HTTP_ACCEPT_LANGUAGE="en")
    assert "complete every step" in _error(refused, 400)["detail"]
    _error(
        _call(client, token, "post", f"{url}/phone-code", {"challenge_id": challenge, "code": "000000"}), 400
    )
    # Another client cannot see or drive this change.
    stranger, _s = issue_api_token(make_client())
    assert _call(client, stranger, "get", url).status_code == 404
    body = {"challenge_id": challenge, "code": code}
    _error(_call(client, stranger, "post", f"{url}/phone-code", body), 404)
    _error(_call(client, stranger, "post", f"{url}/apply"), 404)

    verified = _call(client, token, "post", f"{url}/phone-code", body)
    assert verified.status_code == 200 and verified.json()["steps"]["phone_verified"] is True
    passed_biometrics(person, "change_phone")
    assert _call(client, token, "get", url).json()["steps"]["biometrics"] is True
    # The code and the face alone are not enough: the EDS is missing.
    _error(_call(client, token, "post", f"{url}/apply"), 400)
    assert Client.objects.get(pk=person.pk).phone == old_phone

    signing = _call(client, token, "post", f"{url}/signing")
    assert signing.status_code == 200
    request_id = signing.json()["signing_request_id"]
    _error(_call(client, stranger, "post", f"{url}/signing"), 404)
    signed = _sign(client, token, eds_settings, request_id)
    assert NEW_PHONE.encode() in signed and old_phone.encode() in signed  # what was signed
    assert _call(client, token, "get", url).json()["steps"]["ready"] is True

    applied = _call(client, token, "post", f"{url}/apply")
    assert applied.status_code == 200 and applied.json()["status"] == "done"
    assert Client.objects.get(pk=person.pk).phone == NEW_PHONE
    assert any(NEW_PHONE[-4:] in m.text for m in outbox(old_phone))  # the old number is told
    assert Verification.objects.get(client=person, purpose="change_phone").consumed_at is not None
    assert "client.phone_changed" in audited()
    # Once only; and the new number signs in.
    _error(_call(client, token, "post", f"{url}/apply"), 400)
    assert client_check_password(NEW_PHONE, TEST_PASSWORD) == Client.objects.get(pk=person.pk)


@pytest.mark.req("R-ONB-6", "R-CH-1")
def test_bank_change_needs_biometrics_and_eds_and_shows_in_the_profile(client, eds_settings):  # noqa: F811
    person = make_client(iin=GOOD_IIN)
    token, _session = issue_api_token(person)
    bad = _call(
        client,
        token,
        "post",
        "/access/changes",
        {"purpose": "change_bank", "kind": "iban", "value": "KZ00125KZT5004100100"},
    )
    assert "IBAN" in _error(bad, 400)["detail"]
    started = _call(
        client,
        token,
        "post",
        "/access/changes",
        {"purpose": "change_bank", "kind": "iban", "value": "KZ86 125K ZT50 0410 0100"},
    )
    assert started.status_code == 201, started.content
    change = started.json()
    assert change["phone_challenge"] is None and change["new_value"] == "KZ86…0100"
    assert change["steps"]["phone_verified"] is True  # no code for a bank change
    url = f"/access/changes/{change['id']}"
    _error(_call(client, token, "post", f"{url}/phone-code", {"challenge_id": "x", "code": "123456"}), 400)
    _sign(
        client,
        token,
        eds_settings,
        _call(client, token, "post", f"{url}/signing").json()["signing_request_id"],
    )
    _error(_call(client, token, "post", f"{url}/apply"), 400)  # no biometrics yet
    assert not BankAccount.objects.filter(client=person).exists()
    passed_biometrics(person, "change_bank")
    assert _call(client, token, "post", f"{url}/apply").status_code == 200
    assert BankAccount.objects.get(client=person, is_current=True).value == "KZ86125KZT5004100100"
    profile = _call(client, token, "get", "/cabinet/profile").json()
    assert profile["bank_account"]["kind"] == "iban" and profile["bank_account"]["masked"].endswith("0100")


@pytest.mark.req("R-ONB-6", "R-CH-1")
def test_change_input_errors_are_clear(client):
    person = make_client()
    token, _session = issue_api_token(person)
    body = {"purpose": "change_phone", "phone": "123"}
    wrong_number = _call(client, token, "post", "/access/changes", body, HTTP_ACCEPT_LANGUAGE="en")
    assert "Kazakh mobile number" in _error(wrong_number, 400)["detail"]
    # Without Accept-Language: the client's own language (Russian here).
    assert re.search("[а-я]", _error(_call(client, token, "post", "/access/changes", body), 400)["detail"])
    taken = _call(
        client, token, "post", "/access/changes", {"purpose": "change_phone", "phone": person.phone}
    )
    _error(taken, 400)
    unknown = _call(client, token, "post", "/access/changes", {"purpose": "change_name"})
    assert _error(unknown, 422)["error"] == "validation_error"
    _error(_call(client, token, "get", "/access/changes/999999"), 404)
    unconfirmed, _s = issue_api_token(make_client(status=Client.Status.REGISTERED))
    assert (
        _call(client, unconfirmed, "post", "/access/changes", {"purpose": "change_bank"}).status_code == 401
    )


@pytest.mark.req("R-AUTH-6", "R-CH-1")
def test_password_change_checks_the_current_one_and_ends_other_sessions(client):
    person = make_client()
    token, session = issue_api_token(person)
    other, other_session = issue_api_token(person)
    wrong = _call(
        client, token, "post", "/access/password", {"current": "nope", "password": "New-Password-2027x"}
    )
    _error(wrong, 400)
    weak = _call(client, token, "post", "/access/password", {"current": TEST_PASSWORD, "password": "123"})
    _error(weak, 400)
    done = _call(
        client,
        token,
        "post",
        "/access/password",
        {"current": TEST_PASSWORD, "password": "New-Password-2027x"},
    )
    assert done.status_code == 200
    assert client_check_password(person.phone, "New-Password-2027x") == person
    assert _call(client, other, "get", "/access/me").status_code == 401  # other sessions ended
    assert _call(client, token, "get", "/access/me").status_code == 200  # this one stays
