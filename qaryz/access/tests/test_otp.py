"""One-time codes (R-AUTH-5, R-ONB-8): 60 s, single use, keyed hash, bound to purpose and phone, ≤3 tries."""

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone

from qaryz.access import otp
from qaryz.access.models import OtpChallenge

PHONE = "+77011234567"


def _code(outbox, phone=PHONE) -> str:
    return re.search(r"\b(\d{6})\b", outbox(phone)[-1].text).group(1)


@pytest.mark.req("R-AUTH-5", "R-ONB-8")
@pytest.mark.django_db
def test_code_is_stored_only_as_keyed_hash(outbox, settings):
    challenge = otp.issue(PHONE, "registration")
    code = _code(outbox)
    row = OtpChallenge.objects.get(pk=challenge.pk)
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert row.code_hash == otp.code_hash(row.public_id, "registration", PHONE, code)
    settings.OTP_HMAC_KEY = b"another-key"
    assert row.code_hash != otp.code_hash(row.public_id, "registration", PHONE, code)


@pytest.mark.req("R-AUTH-5", "R-ONB-8")
@pytest.mark.django_db
def test_code_valid_60_seconds(outbox):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        challenge = otp.issue(PHONE, "registration")
        code = _code(outbox)
    with time_machine.travel(start + dt.timedelta(seconds=59), tick=False):
        assert otp.verify(challenge.public_id, code, purpose="registration").verified_at is not None
    with time_machine.travel(start + dt.timedelta(seconds=40), tick=False):
        second = otp.issue(PHONE, "login")
        code2 = _code(outbox)
    with (
        time_machine.travel(start + dt.timedelta(seconds=101), tick=False),
        pytest.raises(otp.OtpError) as err,
    ):
        otp.verify(second.public_id, code2, purpose="login")
    assert err.value.reason == "expired"


@pytest.mark.req("R-AUTH-5")
@pytest.mark.django_db
def test_code_is_single_use(outbox):
    challenge = otp.issue(PHONE, "login")
    code = _code(outbox)
    otp.verify(challenge.public_id, code, purpose="login")
    with pytest.raises(otp.OtpError) as err:
        otp.verify(challenge.public_id, code, purpose="login")
    assert err.value.reason == "used"


@pytest.mark.req("R-AUTH-5")
@pytest.mark.django_db
def test_code_bound_to_purpose(outbox):
    challenge = otp.issue(PHONE, "login")
    code = _code(outbox)
    with pytest.raises(otp.OtpError):
        otp.verify(challenge.public_id, code, purpose="recovery")
    # A code of one phone's challenge never matches another phone's hash.
    assert otp.code_hash(challenge.public_id, "login", "+77019999999", code) != challenge.code_hash


@pytest.mark.req("R-AUTH-5", "R-ONB-8")
@pytest.mark.django_db
def test_three_wrong_entries_kill_the_code(outbox):
    challenge = otp.issue(PHONE, "registration")
    code = _code(outbox)
    wrong = "000000" if code != "000000" else "111111"
    reasons = []
    for _ in range(3):
        with pytest.raises(otp.OtpError) as err:
            otp.verify(challenge.public_id, wrong, purpose="registration")
        reasons.append(err.value.reason)
    assert reasons == ["wrong", "wrong", "too_many"]
    with pytest.raises(otp.OtpError) as err:
        otp.verify(challenge.public_id, code, purpose="registration")  # even the right code now
    assert err.value.reason == "too_many"
    assert OtpChallenge.objects.get(pk=challenge.pk).attempts == 3


@pytest.mark.req("R-ONB-8")
@pytest.mark.django_db
def test_resend_is_throttled_and_replaces_the_code(outbox, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        challenge = otp.issue(PHONE, "registration")
        first = _code(outbox)
        with pytest.raises(otp.OtpError) as err:
            otp.resend(challenge.public_id)
        assert err.value.reason == "throttled"
        with pytest.raises(otp.OtpError):
            otp.issue(PHONE, "registration")  # a new challenge is throttled too
    with time_machine.travel(start + dt.timedelta(seconds=settings.OTP_RESEND_SECONDS + 1), tick=False):
        otp.resend(challenge.public_id)
        second = _code(outbox)
        if first != second:
            with pytest.raises(otp.OtpError):
                otp.verify(challenge.public_id, first, purpose="registration")
        assert otp.verify(challenge.public_id, second, purpose="registration")
    assert len(outbox(PHONE)) == 2


@pytest.mark.req("R-ONB-8")
@pytest.mark.django_db
def test_resend_capped(outbox, settings):
    settings.OTP_MAX_SENDS = 2
    start = timezone.now()
    challenge = None
    for i in range(3):
        with time_machine.travel(start + dt.timedelta(seconds=31 * i), tick=False):
            if challenge is None:
                challenge = otp.issue(PHONE, "registration")
            elif i == 1:
                otp.resend(challenge.public_id)
            else:
                with pytest.raises(otp.OtpError) as err:
                    otp.resend(challenge.public_id)
                assert err.value.reason == "throttled"
