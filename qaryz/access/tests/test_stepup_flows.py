"""Password recovery (SMS code AND fresh biometrics) and phone/bank change (biometrics AND EDS)
(R-AUTH-5, R-AUTH-6, R-ONB-6). The biometrics/signature rooms are replaced at their seams."""

import re

import pytest

from qaryz.access import stepup
from qaryz.access.models import ClientSession, StepUp
from qaryz.access.testing import make_client, sign_in_client
from qaryz.clients.models import BankAccount, Client
from qaryz.messaging.models import Notification

NEW_PASSWORD = "Recovered-Password-552"


def _code(outbox, phone):
    return re.search(r"\b(\d{6})\b", outbox(phone)[-1].text).group(1)


class Seams:
    def __init__(self, monkeypatch):
        self.biometrics: dict[str, bool] = {}
        self.signed: set[str] = set()
        self.consumed: list[str] = []
        self.requests: list[tuple[str, bytes]] = []
        monkeypatch.setattr(
            stepup,
            "biometric_check",
            lambda client, purpose, within: f"bio-{purpose}" if self.biometrics.get(purpose) else None,
        )
        monkeypatch.setattr(stepup, "consume_biometric", self.consumed.append)
        monkeypatch.setattr(stepup, "signature_check", lambda ref: "ok" if ref in self.signed else None)

        def create(client, purpose, content, title):
            self.requests.append((purpose, content))
            return str(len(self.requests))

        monkeypatch.setattr(stepup, "create_signing_request", create)


@pytest.mark.req("R-AUTH-5", "R-AUTH-6")
@pytest.mark.django_db
def test_recovery_needs_sms_code_and_fresh_biometrics(client, outbox, monkeypatch, audited):
    seams = Seams(monkeypatch)
    person = make_client()
    other = ClientSession.objects.create(
        client=person, session_key="", kind="api", token_hash="x" * 64, last_seen_at=person.created_at
    )
    response = client.post("/password/recover/", {"phone": person.phone, "id_number": person.iin})
    assert response["Location"] == "/password/recover/code/"
    response = client.post("/password/recover/code/", {"code": _code(outbox, person.phone)})
    assert response["Location"] == "/password/recover/new/"
    # A recovery session opens nothing but recovery (and the biometrics pages).
    assert client.get("/cabinet/")["Location"] == "/password/recover/"
    page = client.get("/password/recover/new/").content.decode()
    assert "/biometrics/verify/?purpose=recovery" in page and 'name="password1"' not in page
    refused = client.post("/password/recover/new/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert refused.status_code == 200
    seams.biometrics["recovery"] = True
    response = client.post("/password/recover/new/", {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response["Location"] == "/login/"
    from qaryz.access import services

    assert services.client_check_password(person.phone, NEW_PASSWORD) == person
    other.refresh_from_db()
    assert other.ended_at is not None
    assert seams.consumed == ["bio-recovery"]
    assert "access.password_recovered" in audited()
    assert Notification.objects.filter(client=person).count() >= 1


@pytest.mark.req("R-AUTH-5")
@pytest.mark.django_db
def test_recovery_sends_nothing_for_wrong_iin(client, outbox):
    person = make_client()
    response = client.post("/password/recover/", {"phone": person.phone, "id_number": "900101300017"})
    assert response["Location"] == "/password/recover/code/"  # same answer: no enumeration
    assert outbox(person.phone) == []
    assert client.post("/password/recover/code/", {"code": "123456"}).status_code == 200


@pytest.mark.req("R-ONB-6", "R-AUTH-6")
@pytest.mark.django_db
def test_phone_change_needs_new_number_code_biometrics_and_eds(client, outbox, monkeypatch, audited):
    seams = Seams(monkeypatch)
    person = make_client()
    old_phone = person.phone
    sign_in_client(client, person)
    response = client.post("/account/change/change_phone/", {"phone": "+77479998877"})
    step = StepUp.objects.get(client=person, purpose="change_phone")
    assert response["Location"] == f"/account/changes/{step.pk}/"
    url = response["Location"]
    client.post(url, {"action": "apply"})
    person.refresh_from_db()
    assert person.phone == old_phone  # nothing confirmed yet
    client.post(url, {"action": "code", "code": _code(outbox, "+77479998877")})
    seams.biometrics["change_phone"] = True
    response = client.post(url, {"action": "sign"})
    assert response["Location"].startswith("/signatures/sign/1/?next=")
    assert seams.requests[0][0] == "change_phone" and b"+77479998877" in seams.requests[0][1]
    client.post(url, {"action": "apply"})
    person.refresh_from_db()
    assert person.phone == old_phone  # signature not accepted yet
    seams.signed.add("1")
    response = client.post(url, {"action": "apply"})
    assert response["Location"] == "/cabinet/"
    person.refresh_from_db()
    assert person.phone == "+77479998877"
    assert any("7477" in m.text or "8877" in m.text for m in outbox(old_phone))  # old number told
    assert "client.phone_changed" in audited()
    assert seams.consumed == ["bio-change_phone"]
    assert client.post(url, {"action": "apply"}).status_code in (200, 302)
    assert Client.objects.get(pk=person.pk).phone == "+77479998877"


@pytest.mark.req("R-ONB-6")
@pytest.mark.django_db
def test_bank_change_needs_biometrics_and_eds(client, monkeypatch):
    seams = Seams(monkeypatch)
    person = make_client()
    sign_in_client(client, person)
    bad = client.post("/account/change/change_bank/", {"kind": "iban", "value": "KZ00125KZT5004100100"})
    assert bad.status_code == 200
    response = client.post(
        "/account/change/change_bank/", {"kind": "iban", "value": "KZ86 125K ZT50 0410 0100"}
    )
    url = response["Location"]
    seams.signed.add(stepup.start_change_signature(StepUp.objects.get(client=person, purpose="change_bank")))
    client.post(url, {"action": "apply"})
    assert not BankAccount.objects.filter(client=person).exists()  # no biometrics yet
    seams.biometrics["change_bank"] = True
    client.post(url, {"action": "apply"})
    account = BankAccount.objects.get(client=person, is_current=True)
    assert account.value == "KZ86125KZT5004100100"


@pytest.mark.req("R-ONB-6")
@pytest.mark.django_db
def test_unconfirmed_client_cannot_change_details():
    person = make_client(status=Client.Status.REGISTERED)
    with pytest.raises(stepup.AccessError):
        stepup.start_change(person, "change_phone", {"phone": "+77470000001"})


@pytest.mark.req("R-AUTH-1", "R-ONB-5")
@pytest.mark.django_db
def test_totp_enrolment_page(client):
    import pyotp

    person = make_client()
    sign_in_client(client, person)
    page = client.get("/account/second-factor/").content.decode()
    secret = re.search(r'class="secret-code">([A-Z2-7]+)<', page).group(1)
    assert client.post("/account/second-factor/", {"code": "000000"}).status_code == 200
    client.post("/account/second-factor/", {"code": pyotp.TOTP(secret).now()})
    person.credential.refresh_from_db()
    assert person.credential.second_factor == "totp"


@pytest.mark.req("R-AUTH-5", "R-AUTH-6", "R-MOB-1")
@pytest.mark.django_db
def test_mobile_recovery_needs_sms_code_and_fresh_biometrics(client, outbox, monkeypatch, audited):
    seams = Seams(monkeypatch)
    person = make_client()
    api = "/api/v1/access"
    challenge = client.post(
        f"{api}/recover", {"phone": person.phone, "id_number": person.iin}, content_type="application/json"
    ).json()["challenge_id"]
    wrong = client.post(
        f"{api}/recover/verify",
        {"challenge_id": challenge, "code": "000000"},
        content_type="application/json",
    )
    assert wrong.status_code == 400
    answer = client.post(
        f"{api}/recover/verify",
        {"challenge_id": challenge, "code": _code(outbox, person.phone)},
        content_type="application/json",
    )
    assert answer.status_code == 200
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {answer.json()['recovery_token']}"}
    # The recovery token opens the biometric check and the last step only – not the account.
    assert client.get(f"{api}/me", **bearer).status_code == 401
    assert client.get("/api/v1/records/receipts", **bearer).status_code == 401
    started = client.post(
        "/api/v1/biometrics/sessions", {"purpose": "recovery"}, content_type="application/json", **bearer
    )
    assert started.status_code == 200, started.content
    body = {"password": NEW_PASSWORD}
    no_bio = client.post(f"{api}/recover/complete", body, content_type="application/json", **bearer)
    assert no_bio.status_code == 400
    seams.biometrics["recovery"] = True
    done = client.post(f"{api}/recover/complete", body, content_type="application/json", **bearer)
    assert done.status_code == 200
    from qaryz.access import services

    assert services.client_check_password(person.phone, NEW_PASSWORD) == person
    assert seams.consumed == ["bio-recovery"]
    assert "access.password_recovered" in audited()
    # The token ended with every other session; it cannot be used twice.
    again = client.post(f"{api}/recover/complete", body, content_type="application/json", **bearer)
    assert again.status_code == 401


@pytest.mark.req("R-AUTH-5")
@pytest.mark.django_db
def test_full_token_cannot_use_the_recovery_step(client, outbox):
    from qaryz.access import services

    person = make_client()
    token, _session = services.issue_api_token(person)
    response = client.post(
        "/api/v1/access/recover/complete",
        {"password": NEW_PASSWORD},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 403
