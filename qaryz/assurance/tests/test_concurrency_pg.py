"""Concurrency on PostgreSQL (issue 15): parallel OTP guesses on one challenge and parallel signing
of one contract. Real row locks need PostgreSQL; on SQLite these tests skip.

Already elsewhere: parallel wrong passwords (``access/tests/test_login.py``), duplicate payouts
(``servicing/tests/test_payout_concurrency.py``), double repayment posting
(``servicing/tests/test_repayment_concurrency.py``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection, connections

from qaryz.lending.tests.conftest import _fresh_bureau_memory, lending_setup  # noqa: F401

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif("connection.vendor != 'postgresql'"),
]
THREADS = 20  # PostgreSQL here serves everyone with 100 connections


def _race(work: Callable[[int], object], threads: int = THREADS) -> tuple[list[object], list[BaseException]]:
    """Run ``work(n)`` in ``threads`` threads released at the same moment."""
    barrier = threading.Barrier(threads)
    lock = threading.Lock()
    results: list[object] = []
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            barrier.wait()
            value = work(n)
            with lock:
                results.append(value)
        except BaseException as exc:
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return results, errors


@pytest.mark.req("R-AUTH-5", "R-AUTH-1")
def test_parallel_otp_guesses_evaluate_at_most_the_allowed_attempts(monkeypatch):
    from qaryz.access import otp
    from qaryz.access.models import OtpChallenge
    from qaryz.access.testing import make_phone

    assert connection.vendor == "postgresql"
    phone = make_phone()
    challenge = otp.issue(phone, "login")
    evaluated: list[str] = []
    lock = threading.Lock()
    real = otp.code_hash

    def counting(public_id: str, purpose: str, phone: str, code: str) -> str:
        with lock:
            evaluated.append(code)
        return real(public_id, purpose, phone, code)

    monkeypatch.setattr(otp, "code_hash", counting)
    # 20 different wrong codes at once ("000000".."000019" – the real one is never among them)
    guesses = [f"{n:06d}" for n in range(THREADS)]
    stored = OtpChallenge.objects.get(pk=challenge.pk).code_hash
    guesses = [g for g in guesses if real(challenge.public_id, "login", phone, g) != stored]
    results, errors = _race(
        lambda n: otp.verify(challenge.public_id, guesses[n], purpose="login"), len(guesses)
    )
    assert results == []
    reasons = sorted(getattr(exc, "reason", repr(exc)) for exc in errors)
    assert all(r in ("wrong", "too_many") for r in reasons), reasons
    assert len(evaluated) <= settings.OTP_MAX_ATTEMPTS, evaluated
    assert reasons.count("wrong") == settings.OTP_MAX_ATTEMPTS - 1
    assert OtpChallenge.objects.get(pk=challenge.pk).attempts == settings.OTP_MAX_ATTEMPTS


@pytest.mark.req("R-AUTH-5")
def test_parallel_right_and_wrong_codes_are_decided_under_the_row_lock(monkeypatch):
    """The right code among 19 wrong ones at once: it is accepted only if it came before the
    allowed number of wrong ones was spent, and never more than the allowed codes are evaluated."""
    from qaryz.access import otp
    from qaryz.access.models import OtpChallenge
    from qaryz.access.testing import make_phone

    sent: list[str] = []
    real_new = otp._new_code
    monkeypatch.setattr(otp, "_new_code", lambda: sent.append(real_new()) or sent[-1])
    phone = make_phone()
    challenge = otp.issue(phone, "login")
    right = sent[-1]
    wrong = [f"{n:06d}" for n in range(40) if f"{n:06d}" != right][: THREADS - 1]
    codes = [right, *wrong]
    results, errors = _race(lambda n: otp.verify(challenge.public_id, codes[n], purpose="login"))
    row = OtpChallenge.objects.get(pk=challenge.pk)
    assert len(results) <= 1
    if results:  # accepted: consumed once, nothing left to guess
        assert (
            row.consumed_at is not None and row.code_hash == "" and row.attempts < settings.OTP_MAX_ATTEMPTS
        )
    else:
        assert row.attempts == settings.OTP_MAX_ATTEMPTS and row.consumed_at is None
    assert len(errors) == THREADS - len(results)


@pytest.mark.req("R-SIGN-1")
def test_parallel_signing_of_one_contract_signs_once_and_books_one_loan(lending_setup):  # noqa: F811
    from qaryz.clients.models import Client
    from qaryz.lending import services as lending
    from qaryz.lending.errors import FlowError
    from qaryz.lending.models import ApplicationEvent, Contract
    from qaryz.lending.tests.factories import make_client
    from qaryz.lending.tests.test_signing import passed_biometrics
    from qaryz.servicing.models import Loan

    person = make_client(kind=Client.Kind.ENTREPRENEUR)  # biometrics, no EDS (R-SIGN-1)
    app = lending.create_application(person, lending_setup, Decimal("300000"), 12, "annuity")
    for key in lending.ACK_KEYS:
        lending.acknowledge(app, key)
    lending.choose_disbursement(app, "bank_account", iban="KZ86125KZT5004100100")
    lending.submit(app, monthly_income=Decimal("900000"), bureau_consent=True)
    app.refresh_from_db()
    assert app.status == "approved", app.status
    contract = lending.prepare_contract(app)
    lending.start_signing(contract)
    verification = passed_biometrics(person)

    results, errors = _race(lambda n: lending.complete_signing(Contract.objects.get(pk=contract.pk)), 10)
    assert len(results) == 1, (results, errors)
    assert len(errors) == 9 and all(isinstance(e, FlowError) for e in errors), errors
    contract.refresh_from_db()
    verification.refresh_from_db()
    assert contract.status == "signed"
    assert Loan.objects.filter(contract=contract).count() == 1
    assert Loan.objects.filter(client=person).count() == 1
    assert verification.consumed_at is not None
    assert ApplicationEvent.objects.filter(application=app, to_status="signed").count() == 1
