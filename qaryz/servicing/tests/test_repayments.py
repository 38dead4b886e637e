"""Repayments: allocation in the contract's order, deduplication, receipts, delay state, closing,
early repayment (partial in both modes, full with interest to the day), advance and its refund."""

from __future__ import annotations

import datetime as dt

import pytest

from qaryz.records.models import StoredDocument
from qaryz.records.receipts import verify_receipt_json
from qaryz.servicing import ledger, repayments
from qaryz.servicing.models import Instalment, Loan, Payment, Transfer
from qaryz.servicing.services import ServicingError
from qaryz.servicing.tests.cob_stub import add_penalty, close_through
from qaryz.servicing.tests.factories import active_loan

pytestmark = pytest.mark.django_db

START = dt.date(2026, 12, 10)
FIRST_DUE = dt.date(2027, 1, 10)


def _consistent(loan: Loan) -> None:
    loan.refresh_from_db()
    derived = ledger.balances_from_transfers(loan.pk)
    for kind, value in derived.items():
        assert getattr(loan, kind) == value, kind


@pytest.fixture
def overdue_loan(lending_setup):
    loan = active_loan(lending_setup, START)
    return close_through(loan, FIRST_DUE + dt.timedelta(days=4))


def test_stub_makes_the_first_instalment_overdue(overdue_loan):
    row = Instalment.objects.get(loan=overdue_loan, version=1, number=1)
    assert overdue_loan.principal_overdue == row.principal
    assert overdue_loan.interest_overdue == row.interest
    assert overdue_loan.overdue_since == FIRST_DUE + dt.timedelta(days=1)
    assert overdue_loan.days_past_due == 4
    _consistent(overdue_loan)


@pytest.mark.req("R-CAB-5")
def test_payment_is_allocated_in_the_contracts_order_and_pays_the_oldest_instalment(overdue_loan):
    loan = add_penalty(overdue_loan, 1234_00, FIRST_DUE + dt.timedelta(days=4))
    assert loan.allocation_order[:3] == ["overdue_principal", "overdue_interest", "penalty"]
    row = Instalment.objects.get(loan=loan, version=1, number=1)
    # Enough for the overdue principal and half the overdue interest.
    amount = row.principal + row.interest // 2
    payment = repayments.post_payment(
        loan,
        channel="bank",
        payer_reference="BANK-1",
        amount_tiyn=amount,
        value_date=FIRST_DUE + dt.timedelta(days=5),
    )
    assert payment.allocation == {
        "overdue_principal": row.principal,
        "overdue_interest": row.interest // 2,
        "advance": 0,
    }
    loan.refresh_from_db()
    assert loan.principal_overdue == 0 and loan.penalty == 1234_00
    assert loan.interest_overdue == row.interest - row.interest // 2
    row.refresh_from_db()
    assert (
        row.principal_paid == row.principal and row.interest_paid == row.interest // 2 and row.paid_on is None
    )
    assert loan.overdue_since == FIRST_DUE + dt.timedelta(days=1)  # still unpaid interest
    _consistent(loan)
    # The rest of the interest, the penalty and more: the rest is an advance; the delay ends.
    payment = repayments.post_payment(
        loan,
        channel="card",
        payer_reference="ACQ-2",
        amount_tiyn=loan.interest_overdue + 1234_00 + 500_00,
        value_date=FIRST_DUE + dt.timedelta(days=5),
    )
    assert payment.allocation["penalty"] == 1234_00 and payment.allocation["advance"] == 500_00
    loan.refresh_from_db()
    assert loan.overdue_since is None and loan.days_past_due == 0 and loan.advance == 500_00
    row.refresh_from_db()
    assert row.paid_on == FIRST_DUE + dt.timedelta(days=5)
    _consistent(loan)


def test_reverse_order_pays_the_penalty_first(lending_setup):
    loan = active_loan(lending_setup, START)
    Loan.objects.filter(pk=loan.pk).update(allocation_order=list(reversed(loan.allocation_order)))
    loan = close_through(loan, FIRST_DUE + dt.timedelta(days=2))
    loan = add_penalty(loan, 1000_00, FIRST_DUE + dt.timedelta(days=2))
    payment = repayments.post_payment(
        loan,
        channel="bank",
        payer_reference="REV-1",
        amount_tiyn=1500_00,
        value_date=FIRST_DUE + dt.timedelta(days=2),
    )
    assert payment.allocation["penalty"] == 1000_00
    assert payment.allocation["overdue_interest"] == 500_00
    assert "overdue_principal" not in payment.allocation


def test_duplicate_reference_posts_once(overdue_loan):
    kwargs = {"channel": "bank", "payer_reference": "DUP-1", "amount_tiyn": 1000_00, "value_date": FIRST_DUE}
    first = repayments.post_payment(overdue_loan, **kwargs)
    again = repayments.post_payment(overdue_loan, **{**kwargs, "amount_tiyn": 999})
    assert again.pk == first.pk and again.amount == 1000_00
    assert Payment.objects.filter(payer_reference="DUP-1").count() == 1
    assert Transfer.objects.filter(key__startswith=f"pay:{first.pk}:").count() == 1
    # The same reference in another channel is another payment.
    other = repayments.post_payment(overdue_loan, **{**kwargs, "channel": "cash_terminal"})
    assert other.pk != first.pk


@pytest.mark.req("R-RCPT-1")
def test_every_payment_has_a_signed_receipt(overdue_loan):
    from qaryz.records.receipts import receipt_json
    from qaryz.records.services import signing_key

    payment = repayments.post_payment(
        overdue_loan, channel="cash_desk", payer_reference="DESK-1", amount_tiyn=700_00, value_date=FIRST_DUE
    )
    document = StoredDocument.objects.get(pk=payment.receipt_document_id)
    assert document.kind == "payment_receipt" and document.reference == f"servicing.loan:{overdue_loan.pk}"
    receipt = repayments.payment_receipt(payment)
    assert receipt["payment"]["amount_tiyn"] == 700_00 and receipt["payment"]["loan"] == overdue_loan.number
    import json

    from qaryz.records import crypto

    pem = crypto.public_key_pem(signing_key().private_key().public_key())
    payload = verify_receipt_json(json.dumps(receipt_json(document.receipt)), pem)
    assert payload["document_id"] == str(document.pk)
    assert repayments.payment_receipt_pdf(payment).startswith(b"%PDF")


def test_bad_input_is_refused_with_a_message(overdue_loan):
    for kwargs in (
        {"channel": "merchant", "payer_reference": "x", "amount_tiyn": 1},
        {"channel": "bank", "payer_reference": "", "amount_tiyn": 1},
        {"channel": "bank", "payer_reference": "x", "amount_tiyn": 0},
    ):
        with pytest.raises(ServicingError) as exc:
            repayments.post_payment(overdue_loan, value_date=FIRST_DUE, **kwargs)
        assert exc.value.message


@pytest.mark.req("R-ARCH-1")
def test_loan_closes_when_everything_is_paid(lending_setup):
    loan = active_loan(lending_setup, START, term=3)
    last_due = Instalment.objects.filter(loan=loan).order_by("-number").first().due_date
    loan = close_through(loan, last_due)
    owed = repayments.total_owed(loan)
    assert loan.principal_current == 0 and owed > 0
    payment = repayments.post_payment(
        loan, channel="bank", payer_reference="ALL-1", amount_tiyn=owed + 1, value_date=last_due
    )
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED and loan.closed_on == last_due
    assert loan.advance == 1 and payment.allocation["advance"] == 1
    assert all(r.paid_on == last_due for r in Instalment.objects.filter(loan=loan))
    contract_doc = StoredDocument.objects.get(pk=loan.contract.vault_document_id)
    assert contract_doc.obligations_end == last_due
    assert StoredDocument.objects.get(pk=payment.receipt_document_id).obligations_end == last_due
    _consistent(loan)
    # Money arriving after the close is an advance, refundable.
    late = repayments.post_payment(
        loan, channel="bank", payer_reference="ALL-2", amount_tiyn=50_00, value_date=last_due
    )
    assert late.allocation == {"advance": 50_00}


def _on_day(lending_setup, day_offset: int = 9, **kwargs) -> tuple[Loan, dt.date]:
    loan = active_loan(lending_setup, START, **kwargs)
    on = START + dt.timedelta(days=day_offset)
    loan = close_through(loan, on - dt.timedelta(days=1))
    return loan, on


@pytest.mark.req("R-CAB-5")
def test_full_early_repayment_with_interest_to_the_day(lending_setup):
    loan, on = _on_day(lending_setup)
    row = Instalment.objects.get(loan=loan, version=1, number=1)
    period = (row.due_date - row.period_start).days
    from qaryz.servicing.amounts import accrued_after

    expected_interest = accrued_after(row.interest, (on - START).days, period)
    assert loan.interest_accrued == accrued_after(row.interest, (on - START).days - 1, period)
    quote = repayments.early_repayment_quote(loan, on, mode="full")
    assert quote.interest_to_day == expected_interest
    assert quote.payoff == loan.principal + expected_interest and quote.to_pay == quote.payoff
    with pytest.raises(ServicingError):  # no money received yet
        repayments.repay_early(loan, mode="full", on=on)
    repayments.repay_early(
        loan, mode="full", on=on, amount=quote.payoff, channel="bank", payer_reference="EARLY-FULL"
    )
    loan.refresh_from_db()
    assert loan.status == Loan.Status.CLOSED and loan.closed_on == on and loan.accrued_through == on
    assert repayments.total_owed(loan) == 0 and loan.advance == 0
    assert Transfer.objects.filter(key=f"accr:{loan.pk}:{on.isoformat()}:1").exists()
    payment = Payment.objects.get(payer_reference="EARLY-FULL")
    assert payment.purpose == "early_full" and "early" in payment.allocation
    # The same payment again changes nothing.
    repayments.repay_early(
        loan, mode="full", on=on, amount=quote.payoff, channel="bank", payer_reference="EARLY-FULL"
    )
    assert Payment.objects.filter(payer_reference="EARLY-FULL").count() == 1
    _consistent(loan)


@pytest.mark.parametrize("mode", ["shorter_term", "lower_instalment"])
def test_partial_early_repayment_writes_a_new_schedule(lending_setup, mode):
    loan, on = _on_day(lending_setup, 20)
    old = list(Instalment.objects.filter(loan=loan, version=1).order_by("number"))
    amount = 100000_00
    quote = repayments.early_repayment_quote(loan, on, amount=amount, mode=mode)
    assert quote.principal_paid == amount - quote.interest_to_day
    assert quote.schedule[0].due_date == FIRST_DUE and quote.schedule[0].period_start == on
    assert sum(r.principal for r in quote.schedule) == quote.principal_after
    if mode == "lower_instalment":
        assert quote.term_after == 12
        assert quote.schedule[1].total < old[1].total
    else:
        assert quote.term_after < 12
        assert all(
            r.principal + r.interest <= old[0].principal + old[0].interest for r in quote.schedule[:-1]
        )
    repayments.repay_early(
        loan, mode=mode, on=on, amount=amount, channel="card", payer_reference=f"EP-{mode}"
    )
    loan.refresh_from_db()
    assert loan.status == Loan.Status.ACTIVE and loan.schedule_version == 2
    rows = list(Instalment.objects.filter(loan=loan, version=2).order_by("number"))
    assert [(r.due_date, r.principal, r.interest) for r in rows] == [
        (r.due_date, r.principal, r.interest) for r in quote.schedule
    ]
    assert loan.principal_current == quote.principal_after and loan.interest_accrued == 0
    assert loan.cur_start == on and loan.cur_due == FIRST_DUE and loan.cur_interest == rows[0].interest
    assert loan.advance == 0
    _consistent(loan)
    # The close of business carries on from the new version.
    loan = close_through(loan, FIRST_DUE)
    assert loan.principal_overdue == rows[0].principal and loan.interest_overdue == rows[0].interest


def test_partial_early_repayment_must_exceed_the_interest_to_the_day(lending_setup):
    loan, on = _on_day(lending_setup, 20)
    with pytest.raises(ServicingError) as exc:
        repayments.early_repayment_quote(loan, on, amount=10, mode="shorter_term")
    assert exc.value.field == "amount"
    with pytest.raises(ServicingError):
        repayments.early_repayment_quote(loan, on, amount=10**12, mode="shorter_term")
    with pytest.raises(ServicingError):  # a day not closed yet
        repayments.early_repayment_quote(loan, on + dt.timedelta(days=3), mode="full")


def test_early_repayment_pays_the_overdue_first(overdue_loan):
    on = overdue_loan.closed_through + dt.timedelta(days=1)
    quote = repayments.early_repayment_quote(overdue_loan, on, mode="full")
    assert quote.payoff == overdue_loan.principal + quote.interest_to_day + overdue_loan.interest_overdue
    repayments.repay_early(
        overdue_loan, mode="full", on=on, amount=quote.payoff, channel="bank", payer_reference="OV-F"
    )
    overdue_loan.refresh_from_db()
    assert overdue_loan.status == Loan.Status.CLOSED and overdue_loan.overdue_since is None
    assert Instalment.objects.get(loan=overdue_loan, version=1, number=1).paid_on == on
    _consistent(overdue_loan)


def test_overpayment_is_kept_as_advance_and_refunded_on_request(lending_setup):
    loan = active_loan(lending_setup, START)
    payment = repayments.post_payment(
        loan,
        channel="bank",
        payer_reference="ADV-1",
        amount_tiyn=5000_00,
        value_date=START + dt.timedelta(days=3),
    )
    assert payment.allocation == {"advance": 5000_00}
    loan.refresh_from_db()
    assert loan.advance == 5000_00
    assert repayments.refund_advance(loan, actor=loan.client) == 5000_00
    loan.refresh_from_db()
    assert loan.advance == 0 and loan.refund_payable == 5000_00
    with pytest.raises(ServicingError):
        repayments.refund_advance(loan)
    assert repayments.refund_paid(
        loan, bank_reference="BNK-R1", amount=5000_00, value_date=START + dt.timedelta(days=4)
    )
    assert not repayments.refund_paid(loan, bank_reference="BNK-R1", amount=5000_00, value_date=START)
    loan.refresh_from_db()
    assert loan.refund_payable == 0
    _consistent(loan)


def test_refused_full_early_repayment_keeps_the_money_as_advance(lending_setup):
    loan, on = _on_day(lending_setup)
    with pytest.raises(ServicingError):
        repayments.repay_early(
            loan, mode="full", on=on, amount=1000_00, channel="bank", payer_reference="SHORT-1"
        )
    loan.refresh_from_db()
    assert loan.status == Loan.Status.ACTIVE and loan.advance == 1000_00
    assert Payment.objects.get(payer_reference="SHORT-1").purpose == "early_full"
