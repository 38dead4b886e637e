"""The registration confirmation and phone change wired to the REAL biometrics and signatures rooms
(no seam replaced): the outcome rows those rooms write after a passed liveness check / an accepted
CMS are created directly, everything else runs through their selectors and services (R-ONB-4, R-ONB-6)."""

import datetime as dt
import secrets

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from qaryz.access import stepup
from qaryz.access.models import StepUp
from qaryz.access.testing import make_client, sign_in_client
from qaryz.biometrics.models import LivenessSession, Verification
from qaryz.clients.models import Client
from qaryz.signatures.models import SignatureVerification, SigningRequest


def passed_biometrics(client: Client, purpose: str) -> Verification:
    session = LivenessSession.objects.create(
        client=client,
        purpose=purpose,
        challenges=f"left,right,{secrets.token_hex(4)}",
        nonce=secrets.token_hex(16),
        baseline_ms=500,
        step_ms=800,
        expires_at=timezone.now() + dt.timedelta(minutes=5),
    )
    return Verification.objects.create(
        client=client, purpose=purpose, session=session, provider="embedded", passed=True, threshold=95.0
    )


def accepted(signing_request: SigningRequest) -> SignatureVerification:
    return SignatureVerification.objects.create(
        signing_request=signing_request,
        client=signing_request.client,
        channel="web",
        accepted=True,
        signature_sha256="0" * 64,
        signature=b"cms",
        result={},
    )


@pytest.mark.req("R-ONB-4", "R-ONB-8")
@pytest.mark.django_db
def test_registration_confirmed_through_real_rooms(client, audited):
    person = make_client(status=Client.Status.REGISTERED)
    sign_in_client(client, person)
    response = client.post("/register/finish/sign/")
    signing_request = SigningRequest.objects.get(client=person)
    assert response["Location"] == f"/signatures/sign/{signing_request.pk}/?next=%2Fregister%2Ffinish%2F"
    assert signing_request.purpose == "registration"
    assert client.get(f"/signatures/sign/{signing_request.pk}/").status_code == 200  # unconfirmed may sign
    verification = passed_biometrics(person, "registration")
    client.get("/register/finish/")
    person.refresh_from_db()
    assert person.status == Client.Status.REGISTERED  # no accepted signature yet
    accepted(signing_request)
    assert client.get("/register/finish/")["Location"] == "/cabinet/"
    person.refresh_from_db()
    assert person.status == Client.Status.CONFIRMED
    verification.refresh_from_db()
    assert verification.consumed_at is not None  # single use
    assert "client.confirmed" in audited()


@pytest.mark.req("R-ONB-4")
@pytest.mark.django_db
def test_entrepreneur_confirmed_by_biometrics_alone_real_rooms(client):
    ie = make_client(kind=Client.Kind.ENTREPRENEUR, status=Client.Status.REGISTERED)
    sign_in_client(client, ie)
    passed_biometrics(ie, "registration")
    assert client.get("/register/finish/")["Location"] == "/cabinet/"
    assert not SigningRequest.objects.filter(client=ie).exists()


@pytest.mark.req("R-ONB-4")
@pytest.mark.django_db
def test_other_purpose_or_used_verification_does_not_count():
    person = make_client(status=Client.Status.REGISTERED)
    passed_biometrics(person, "recovery")
    assert not stepup.registration_requirements(person).biometrics
    used = passed_biometrics(person, "registration")
    Verification.objects.filter(pk=used.pk).update(consumed_at=timezone.now())
    assert not stepup.registration_requirements(person).biometrics


@pytest.mark.req("R-ONB-6", "R-AUTH-6")
@pytest.mark.django_db
def test_bank_change_through_real_rooms(client):
    person = make_client()
    sign_in_client(client, person)
    url = client.post("/account/change/change_bank/", {"kind": "card", "value": "4111 1111 1111 1111"})[
        "Location"
    ]
    step = StepUp.objects.get(client=person, purpose="change_bank")
    response = client.post(url, {"action": "sign"})
    signing_request = SigningRequest.objects.get(client=person, purpose="change_bank")
    assert response["Location"].startswith(f"/signatures/sign/{signing_request.pk}/")
    assert b"4111111111111111" in bytes(signing_request.payload)
    accepted(signing_request)
    client.post(url, {"action": "apply"})
    assert not person.bank_accounts.exists()  # biometrics missing
    passed_biometrics(person, "change_bank")
    assert client.post(url, {"action": "apply"})["Location"] == "/cabinet/"
    assert person.bank_accounts.get(is_current=True).value == "4111111111111111"
    step.refresh_from_db()
    assert step.status == "done"


@pytest.mark.req("R-ONB-4", "R-AUTH-5")
@pytest.mark.django_db
def test_expired_registration_signing_request_is_replaced_signed_one_kept(client):
    person = make_client(status=Client.Status.REGISTERED)
    first_ref = stepup.start_registration_signature(person)
    assert stepup.start_registration_signature(person) == first_ref  # still open: reused
    later = timezone.now() + dt.timedelta(seconds=settings.EDS_REQUEST_TTL_SECONDS + 5)
    with time_machine.travel(later):
        sign_in_client(client, person)
        response = client.post("/register/finish/sign/")
        second = SigningRequest.objects.filter(client=person).exclude(pk=first_ref).get()
        assert response["Location"].startswith(f"/signatures/sign/{second.pk}/")
        accepted(second)
    with time_machine.travel(later + dt.timedelta(seconds=settings.EDS_REQUEST_TTL_SECONDS + 5)):
        assert stepup.start_registration_signature(person) == str(second.pk)  # signed: kept
