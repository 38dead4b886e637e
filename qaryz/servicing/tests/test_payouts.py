"""Paying loans out through the payout bank port (R-DISB-1..5): own verified account with ownership
confirmed by the bank, registered merchants after a fresh biometric check, the cash desk with
visual identification, the cooling-off and consent; webhook, reconcile after a crash, idempotency."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from qaryz.biometrics.models import Verification
from qaryz.lending.models import Application
from qaryz.lending.tests.test_signing import passed_biometrics
from qaryz.servicing import payouts
from qaryz.servicing.adapters.bank_embedded import sign
from qaryz.servicing.models import Loan, Payout, SimulatedBankTransfer, Transfer
from qaryz.servicing.services import ServicingError
from qaryz.servicing.tests.payout_helpers import CARD, IBAN, merchant, ready_loan, sim_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


def _refusals() -> list[str]:
    from qaryz.records.models import AuditEvent

    return [
        json.loads(e.data)["reason"]
        for e in AuditEvent.objects.filter(action="servicing.payout_refused").order_by("seq")
    ]


def _disbursements(loan) -> int:
    return Transfer.objects.filter(loan=loan, kind="disbursement").count()


# --- R-DISB-1 / R-DISB-2: own account, ownership confirmed, the bank confirms ------------------------
@pytest.mark.req("R-DISB-1", "R-DISB-2")
def test_bank_transfer_to_the_own_verified_account_activates_only_on_confirmation(lending_setup, sim):
    loan = ready_loan(lending_setup)
    payout = payouts.request_payout(loan, key="k-1")
    assert payout.status == Payout.Status.SENT and payout.bank_reference.startswith("SIM")
    assert payout.amount == loan.principal - loan.upfront_fee
    loan.refresh_from_db()
    assert loan.status == Loan.Status.AWAITING and _disbursements(loan) == 0
    assert payouts.payout_status(loan)["state"] == "sent"
    assert sim.deliver_pending() == 1
    loan.refresh_from_db()
    payout.refresh_from_db()
    assert payout.status == Payout.Status.CONFIRMED
    assert loan.status == Loan.Status.ACTIVE and loan.application.status == "disbursed"
    assert _disbursements(loan) == 2  # clearing and withheld fee legs of one entry
    assert payouts.payout_status(loan)["state"] == "paid"
    assert sim.deliver_pending() == 0  # delivered once


@pytest.mark.req("R-DISB-2")
def test_an_application_iban_other_than_the_registered_one_is_refused(lending_setup, sim):
    loan = ready_loan(lending_setup, payout_iban="KZ09125KZT5004100200")
    with pytest.raises(ServicingError) as err:
        payouts.request_payout(loan)
    assert err.value.field == "account" and "KZ86…0100" in err.value.message
    assert _refusals() == ["iban_differs"]
    assert not Payout.objects.exists() and not SimulatedBankTransfer.objects.exists()


@pytest.mark.req("R-DISB-2")
def test_no_registered_account_no_transfer(lending_setup, sim):
    loan = ready_loan(lending_setup, register=None)
    with pytest.raises(ServicingError):
        payouts.request_payout(loan)
    assert not SimulatedBankTransfer.objects.exists()


@pytest.mark.req("R-DISB-2")
@pytest.mark.parametrize("holder", ["someone-else", "?"])
def test_ownership_not_confirmed_means_no_transfer(lending_setup, sim, settings, holder):
    loan = ready_loan(lending_setup)
    settings.PAYOUT_SIM_ACCOUNTS = {IBAN: "990101300123" if holder == "someone-else" else "?"}
    with pytest.raises(ServicingError) as err:
        payouts.request_payout(loan)
    assert err.value.field == "account"
    assert _refusals() == ["ownership_not_owned" if holder == "someone-else" else "ownership_unknown"]
    assert not Payout.objects.exists() and not SimulatedBankTransfer.objects.exists()
    assert payouts.payout_status(loan)["state"] == "awaiting"


def test_the_simulator_knows_who_holds_which_account(lending_setup, sim, settings):
    loan = ready_loan(lending_setup)
    other = ready_loan(lending_setup, register="KZ09125KZT5004100200")
    assert sim.confirm_ownership(loan.client.iin, IBAN) == "owned"
    assert sim.confirm_ownership(other.client.iin, IBAN) == "not_owned"
    assert sim.confirm_ownership(loan.client.iin, "KZ36125KZT5004100300") == "unknown"
    settings.PAYOUT_SIM_ACCOUNTS = {"KZ36125KZT5004100300": "150140000019"}
    assert sim.confirm_ownership("150140000019", "KZ36125KZT5004100300") == "owned"


@pytest.mark.req("R-DISB-2")
def test_card_payout_goes_to_the_registered_card_only(lending_setup, sim):
    loan = ready_loan(
        lending_setup,
        method="card",
        register=CARD,
        register_kind="card",
        payout_card_masked="4400 43** **** 9999",
    )
    with pytest.raises(ServicingError):
        payouts.request_payout(loan)
    Application.objects.filter(pk=loan.application_id).update(payout_card_masked="4400 43** **** 0008")
    loan.refresh_from_db()
    payout = payouts.request_payout(loan)
    assert payout.channel == "card" and payout.bank_account.value == CARD
    sim.deliver_pending()
    loan.refresh_from_db()
    assert loan.status == Loan.Status.ACTIVE


def test_a_failed_transfer_leaves_the_loan_awaiting_and_can_be_retried(lending_setup, sim, settings):
    loan = ready_loan(lending_setup)
    settings.PAYOUT_SIM_MODE = "fail"
    payouts.request_payout(loan)
    sim.deliver_pending()
    loan.refresh_from_db()
    assert loan.status == Loan.Status.AWAITING and _disbursements(loan) == 0
    status = payouts.payout_status(loan)
    assert status["state"] == "failed" and status["can_request"]
    settings.PAYOUT_SIM_MODE = "normal"
    second = payouts.request_payout(loan)
    sim.deliver_pending()
    loan.refresh_from_db()
    assert second.pk != Payout.objects.filter(status="failed").get().pk
    assert loan.status == Loan.Status.ACTIVE and _disbursements(loan) == 2


# --- idempotency -------------------------------------------------------------------------------------
@pytest.mark.req("R-DISB-1")
def test_duplicate_requests_make_one_payout_and_one_transfer(lending_setup, sim):
    loan = ready_loan(lending_setup)
    first = payouts.request_payout(loan, key="same")
    again = [payouts.request_payout(loan, key=k) for k in ("same", "other", None)]
    assert {p.pk for p in again} == {first.pk}
    assert Payout.objects.count() == 1 and SimulatedBankTransfer.objects.count() == 1
    sim.deliver_pending()
    assert payouts.request_payout(loan, key="same").pk == first.pk  # after confirmation: still that payout
    # Even with no live payout row left, an active loan is never paid out again.
    Payout.objects.filter(loan=loan).update(status="failed")
    with pytest.raises(ServicingError):
        payouts.request_payout(Loan.objects.get(pk=loan.pk), key="new-after-paid")
    assert _disbursements(loan) == 2 and SimulatedBankTransfer.objects.count() == 1


def test_the_bank_never_pays_one_key_twice(lending_setup, sim):
    loan = ready_loan(lending_setup)
    payout = payouts.request_payout(loan)
    dest = payouts.destination_of(payout)
    ack1 = sim.send_transfer(payout.key, payout.amount, dest, purpose="x")
    ack2 = sim.send_transfer(payout.key, payout.amount, dest, purpose="x")
    assert ack1.reference == ack2.reference == payout.bank_reference
    assert SimulatedBankTransfer.objects.count() == 1
    with pytest.raises(payouts.PayoutBankError):
        sim.send_transfer(payout.key, payout.amount + 1, dest, purpose="x")


# --- crash between commit and bank; reconcile ------------------------------------------------------------
@pytest.mark.req("R-DISB-1")
def test_crash_before_the_bank_call_is_reconciled_and_paid_once(lending_setup, sim, monkeypatch):
    loan = ready_loan(lending_setup)

    def crash(*args, **kwargs):
        raise SystemExit("process killed after the payout was committed")

    monkeypatch.setattr(type(sim), "send_transfer", crash)
    with pytest.raises(SystemExit):
        payouts.request_payout(loan)
    monkeypatch.undo()
    payout = Payout.objects.get()
    assert payout.status == Payout.Status.PENDING and not SimulatedBankTransfer.objects.exists()
    assert payouts.reconcile(older_than_minutes=0) == {
        "checked": 1,
        "resent": 1,
        "in_progress": 0,
        "confirmed": 0,
        "failed": 0,
        "unreachable": 0,
    }
    assert SimulatedBankTransfer.objects.get().key == payout.key
    counts = payouts.reconcile(older_than_minutes=0)  # the bank paid (no webhook yet)
    assert counts["confirmed"] == 1 and counts["resent"] == 0
    loan.refresh_from_db()
    assert loan.status == Loan.Status.ACTIVE and _disbursements(loan) == 2
    sim.deliver_pending()  # the late webhook changes nothing
    assert payouts.reconcile(older_than_minutes=0)["checked"] == 0
    assert SimulatedBankTransfer.objects.count() == 1 and _disbursements(loan) == 2


def test_timeout_after_the_bank_accepted_is_not_sent_twice(lending_setup, sim):
    loan = ready_loan(lending_setup, register="KZ43125KZT5004100008")  # *0008: the answer is lost
    Application.objects.filter(pk=loan.application_id).update(payout_iban="")
    payout = payouts.request_payout(loan)
    assert payout.status == Payout.Status.PENDING  # outcome unknown
    assert SimulatedBankTransfer.objects.count() == 1
    counts = payouts.reconcile(older_than_minutes=0)
    assert counts["resent"] == 0 and counts["confirmed"] == 1
    assert SimulatedBankTransfer.objects.count() == 1
    loan.refresh_from_db()
    assert loan.status == Loan.Status.ACTIVE


def test_reconcile_marks_a_failed_transfer_failed(lending_setup, sim, settings):
    from django.core.management import call_command

    loan = ready_loan(lending_setup, register="KZ70125KZT5004100009")  # *0009: account closed
    Application.objects.filter(pk=loan.application_id).update(payout_iban="")
    payouts.request_payout(loan)
    call_command("reconcile_payouts", "--older-than", "0")
    assert Payout.objects.get().status == Payout.Status.FAILED
    loan.refresh_from_db()
    assert loan.status == Loan.Status.AWAITING and _disbursements(loan) == 0


def test_reconcile_leaves_recent_payouts_and_an_unreachable_bank_alone(lending_setup, sim, settings):
    loan = ready_loan(lending_setup)
    settings.PAYOUT_SIM_MODE = "timeout"
    payouts.request_payout(loan)
    assert payouts.reconcile(older_than_minutes=10)["checked"] == 0
    settings.PAYOUT_SIM_MODE = "down"
    assert payouts.reconcile(older_than_minutes=0)["unreachable"] == 1
    assert Payout.objects.get().status == Payout.Status.PENDING


# --- webhook -------------------------------------------------------------------------------------------
def _body(payout, state="paid"):
    return json.dumps(
        {"key": payout.key, "state": state, "reference": payout.bank_reference, "value_date": "2026-12-02"}
    ).encode()


def test_webhook_endpoint_verifies_the_signature_and_is_idempotent(lending_setup, sim, client):
    loan = ready_loan(lending_setup)
    payout = payouts.request_payout(loan)
    url = "/servicing/payouts/webhook/"
    body = _body(payout)
    bad = client.post(url, body, content_type="application/json", HTTP_X_QARYZ_SIGNATURE=sign(body, "wrong"))
    assert bad.status_code == 400
    missing = client.post(url, body, content_type="application/json")
    assert missing.status_code == 400
    loan.refresh_from_db()
    assert loan.status == Loan.Status.AWAITING
    for _ in range(2):
        ok = client.post(url, body, content_type="application/json", HTTP_X_QARYZ_SIGNATURE=sign(body))
        assert ok.status_code == 200 and ok.json()["status"] == "confirmed"
    loan.refresh_from_db()
    assert loan.status == Loan.Status.ACTIVE and _disbursements(loan) == 2
    assert loan.disbursed_on == dt.date(2026, 12, 2)
    garbage = b"not json"
    assert (
        client.post(
            url, garbage, content_type="application/json", HTTP_X_QARYZ_SIGNATURE=sign(garbage)
        ).status_code
        == 400
    )


def test_webhook_over_http_from_the_simulator(lending_setup, sim, settings, live_server):
    settings.PAYOUT_SIM_WEBHOOK_URL = f"{live_server.url}/servicing/payouts/webhook/"
    loan = ready_loan(lending_setup)
    payouts.request_payout(loan)
    assert sim.deliver_pending() == 1
    loan.refresh_from_db()
    assert loan.status == Loan.Status.ACTIVE


# --- R-DISB-3: merchants ----------------------------------------------------------------------------------
@pytest.mark.req("R-DISB-3")
def test_merchant_payout_needs_a_registered_merchant_and_a_fresh_biometric_check(
    lending_setup, sim, settings
):
    shop = merchant()
    settings.PAYOUT_SIM_ACCOUNTS = {shop.iban: shop.bin}
    loan = ready_loan(lending_setup, method="merchant", merchant="Неизвестный магазин", register=None)
    with pytest.raises(ServicingError) as err:
        payouts.request_payout(loan)
    assert err.value.field == "merchant"
    Application.objects.filter(pk=loan.application_id).update(merchant=shop.bin)
    with pytest.raises(ServicingError) as err:
        payouts.request_payout(loan)
    assert err.value.field == "biometrics"
    old = passed_biometrics(loan.client, purpose="merchant_payout")
    Verification.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    with pytest.raises(ServicingError):
        payouts.request_payout(loan)  # not fresh
    fresh = passed_biometrics(loan.client, purpose="merchant_payout")
    payout = payouts.request_payout(loan)
    fresh.refresh_from_db()
    assert fresh.consumed_at is not None  # single use
    assert payout.merchant == shop and SimulatedBankTransfer.objects.get().destination == shop.iban
    sim.deliver_pending()
    loan.refresh_from_db()
    assert loan.status == Loan.Status.ACTIVE


@pytest.mark.req("R-DISB-3")
@pytest.mark.parametrize("change", ["expired", "not_started", "inactive", "account_not_theirs"])
def test_merchant_outside_its_contract_or_unconfirmed_is_refused(lending_setup, sim, settings, change):
    today = timezone.localdate()
    shop = merchant(
        contract_to=today - dt.timedelta(days=1) if change == "expired" else today + dt.timedelta(days=9),
        contract_from=today + dt.timedelta(days=1)
        if change == "not_started"
        else today - dt.timedelta(days=9),
        is_active=change != "inactive",
    )
    settings.PAYOUT_SIM_ACCOUNTS = {shop.iban: "990101300123" if change == "account_not_theirs" else shop.bin}
    loan = ready_loan(lending_setup, method="merchant", merchant=shop.name, register=None)
    passed_biometrics(loan.client, purpose="merchant_payout")
    with pytest.raises(ServicingError):
        payouts.request_payout(loan)
    assert not SimulatedBankTransfer.objects.exists() and not Payout.objects.exists()


# --- R-DISB-5: cooling-off and consent -------------------------------------------------------------------
@pytest.mark.req("R-DISB-5")
def test_no_payout_before_the_delay_after_signing(lending_setup, sim):
    loan = ready_loan(lending_setup, wait=False)
    rule_set = loan.application.rule_set
    assert rule_set.cooling_off_hours > 0
    with pytest.raises(ServicingError) as err:
        payouts.request_payout(loan)
    assert err.value.field == "cooling_off"
    assert not payouts.payout_status(loan)["can_request"]
    Application.objects.filter(pk=loan.application_id).update(
        signed_at=timezone.now() - dt.timedelta(hours=rule_set.cooling_off_hours, seconds=1)
    )
    loan.refresh_from_db()
    assert payouts.request_payout(loan).status == Payout.Status.SENT


@pytest.mark.req("R-DISB-5")
def test_no_payout_without_the_additional_consent_where_required(lending_setup, sim):
    loan = ready_loan(lending_setup, consent=False)
    assert loan.application.rule_set.additional_consent_required
    with pytest.raises(ServicingError) as err:
        payouts.request_payout(loan)
    assert err.value.field == "consent"
    assert not SimulatedBankTransfer.objects.exists()
    payouts.give_consent(loan)
    loan.refresh_from_db()
    assert payouts.payout_status(loan)["consent_given"]
    assert payouts.request_payout(loan).status == Payout.Status.SENT


@pytest.mark.req("R-DISB-5")
def test_consent_not_required_by_the_rule_set(lending_setup, sim):
    loan = ready_loan(lending_setup, consent=False)
    type(loan.application.rule_set).objects.filter(pk=loan.application.rule_set_id).update(
        additional_consent_required=False
    )
    loan = Loan.objects.get(pk=loan.pk)
    assert payouts.request_payout(loan).status == Payout.Status.SENT


# --- cash terminal ------------------------------------------------------------------------------------------
def test_cash_terminal_through_the_port_sends_the_withdrawal_code_by_sms(lending_setup, sim):
    from qaryz.messaging.models import SmsDelivery

    loan = ready_loan(lending_setup, method="cash_terminal", register=None)
    payout = payouts.request_payout(loan)
    assert payout.channel == "cash_terminal" and payout.status == Payout.Status.SENT
    code = SimulatedBankTransfer.objects.get().withdrawal_code
    assert len(code) == 6
    sms = SmsDelivery.objects.filter(phone=loan.client.phone, purpose="payout_code").get()
    assert code not in sms.text_masked  # the code is masked in the log
    sim.deliver_pending()
    loan.refresh_from_db()
    assert loan.status == Loan.Status.ACTIVE and _disbursements(loan) == 2


def test_webhook_for_an_unknown_payout_or_another_amount_is_refused(lending_setup, sim, client):
    loan = ready_loan(lending_setup)
    payout = payouts.request_payout(loan)
    url = "/servicing/payouts/webhook/"
    for body in (
        json.dumps({"key": "po-unknown", "state": "paid"}).encode(),
        json.dumps({"key": payout.key, "state": "paid", "amount": payout.amount + 100}).encode(),
    ):
        answer = client.post(url, body, content_type="application/json", HTTP_X_QARYZ_SIGNATURE=sign(body))
        assert answer.status_code == 400
    loan.refresh_from_db()
    assert loan.status == Loan.Status.AWAITING and _disbursements(loan) == 0
