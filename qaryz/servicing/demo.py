"""Demo loans (issue 10 item 8): three individual entrepreneurs, each with a business loan signed
through the lending room's real path (an IE's business loan: fresh biometrics, no EDS, R-SIGN-1),
paid out in the past and then lived through by the real services up to today:

- Сейткали Айжан – disbursed 45 days ago, first instalment paid: an ordinary active loan;
- Омаров Бауыржан – disbursed 75 days ago, nothing paid after the first instalment: overdue;
- Тулегенова Сауле – disbursed 100 days ago, three instalments paid, repaid in full early today;
- Жаксылыков Нурлан – a cash-desk loan handed over by the demo cashier, its payout awaiting the
  accountant's second approval.

The historic payout is booked by ``services.activate`` on its past value date (what the bank's
confirmation does); the days since are closed by ``close_of_day`` and the payments posted by
``repayments`` when those modules are installed (each step is skipped, and said so, otherwise).
The demo face check of the signing step is recorded as passed, as the demo signer does for EDS.
Also one registered partner merchant (R-DISB-3) whose account the payout bank simulator knows
(``PAYOUT_SIM_ACCOUNTS`` in demo mode). Idempotent; prints the phone numbers (password as the
other demo clients).
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from qaryz.clients.models import Client, add_years
from qaryz.servicing import close_of_day, repayments
from qaryz.servicing.models import Instalment, Loan, Merchant

DEMO_MERCHANT = {
    "bin": "150140000012",
    "name": "ТОО «Дала Мебель»",
    "iban": "KZ156010000000123456",
    "contract_number": "ПД-2026/01",
}

DEMO_IBAN = "KZ86125KZT5004100100"  # the demo borrowers' payout account (a spec may name its own)
DEMO_LOANS = [
    {
        "phone": "+77010000011",
        "iin_base": "8504124000",
        "surname": "Сейткали",
        "given_name": "Айжан",
        "amount": "400000",
        "term": 12,
        "days_ago": 45,
        "story": "active",
    },
    {
        "phone": "+77010000012",
        "iin_base": "7911083000",
        "surname": "Омаров",
        "given_name": "Бауыржан",
        "amount": "250000",
        "term": 6,
        "days_ago": 75,
        "story": "overdue",
    },
    {
        "phone": "+77010000013",
        "iin_base": "9002274000",
        "surname": "Тулегенова",
        "given_name": "Сауле",
        "amount": "150000",
        "term": 6,
        "days_ago": 100,
        "story": "repaid",
    },
]
# handed over at the cash desk by the demo cashier, waiting for the accountant's second approval
# (maker-checker after the visual identification, R-DISB-4): the demo's payout approvals are not empty
CASH_DESK_LOAN = {
    "phone": "+77010000015",
    "iin_base": "8807153000",
    "surname": "Жаксылыков",
    "given_name": "Нурлан",
    "amount": "200000",
    "term": 6,
    "story": "cash desk",
    "disbursement": "cash_desk",
}


def _client(spec: dict) -> Client:
    from qaryz.access.services import set_client_password
    from qaryz.clients.demo import DEMO_PASSWORD, _iin

    client = Client.objects.filter(phone=spec["phone"]).first()
    if client is None:
        today = timezone.localdate()
        client = Client.objects.create(
            kind=Client.Kind.ENTREPRENEUR,
            status=Client.Status.CONFIRMED,
            phone=spec["phone"],
            iin=_iin(spec["iin_base"]),
            surname=spec["surname"],
            given_name=spec["given_name"],
            patronymic="",
            id_doc_type="id_card",
            id_doc_number=f"05{spec['iin_base'][:7]}",
            id_doc_expiry=add_years(today, 5),
            id_doc_issue_date=add_years(today, -5),  # the usual 10-year ID card term
            address="г. Алматы, ул. Толе би, 59, кв. 12",
        )
        set_client_password(client, DEMO_PASSWORD)
    return client


def _demo_face_check(client: Client) -> None:
    """The signing step's fresh biometric identification, recorded as passed (demo only)."""
    from qaryz.biometrics.models import LivenessSession, Verification

    session = LivenessSession.objects.create(
        client=client,
        purpose="contract_signing",
        challenges=f"left,right,{secrets.token_hex(3)}",
        nonce=secrets.token_hex(16),
        baseline_ms=800,
        step_ms=1200,
        status="passed",
        expires_at=timezone.now() + dt.timedelta(minutes=5),
    )
    Verification.objects.create(
        client=client,
        purpose="contract_signing",
        session=session,
        provider="embedded",
        passed=True,
        similarity_document=97.0,
        threshold=95.0,
    )


def _signed_loan(client: Client, spec: dict) -> Loan | None:
    from qaryz.lending import services as lending
    from qaryz.lending.products import current_products

    products = current_products(Client.Kind.ENTREPRENEUR)
    if not products:
        return None
    app = lending.create_application(client, products[0], Decimal(spec["amount"]), spec["term"], "annuity")
    for key in lending.ACK_KEYS:
        lending.acknowledge(app, key)
    method = spec.get("disbursement", "bank_account")
    lending.choose_disbursement(
        app, method, iban=spec.get("iban", DEMO_IBAN) if method == "bank_account" else ""
    )
    lending.submit(app, monthly_income=Decimal("1200000"), bureau_consent=True)
    app.refresh_from_db()
    if app.status != "approved":
        return None
    if not client.address:  # a demo client created before addresses were collected
        from qaryz.clients.services import set_address

        set_address(client, "г. Алматы, ул. Толе би, 59, кв. 12", actor=client)
    contract = lending.prepare_contract(app)
    lending.start_signing(contract)
    _demo_face_check(client)
    lending.complete_signing(contract)
    return Loan.objects.get(contract=contract)


def _at_the_cash_desk(loan: Loan, out: TextIO) -> None:
    """Signed two days ago (the cooling-off is over), the additional consent given, then handed
    over by the demo cashier against the ID card: the payout waits for the second approval."""
    from django.contrib.auth import get_user_model

    from qaryz.lending.models import Application
    from qaryz.servicing import payouts

    cashier = get_user_model().objects.filter(username="cash_desk").first()
    if cashier is None:
        out.write("demo cash-desk payout: no demo cashier, left at the desk\n")
        return
    signed = timezone.now() - dt.timedelta(days=2)
    Application.objects.filter(pk=loan.application_id).update(signed_at=signed)
    loan = Loan.objects.select_related("application__rule_set", "client").get(pk=loan.pk)
    payouts.give_consent(loan, actor=loan.client)
    payouts.pay_cash(loan, cashier=cashier, doc_type="id_card", doc_number=loan.client.id_doc_number)


def _disburse_in_the_past(loan: Loan, on: dt.date) -> Loan:
    from qaryz.servicing import services

    app = loan.application
    app.signed_at = timezone.make_aware(dt.datetime.combine(on - dt.timedelta(days=2), dt.time(10)))
    app.acknowledgements = {**app.acknowledgements, "disbursement_consent": {"at": "demo"}}
    app.save(update_fields=["signed_at", "acknowledgements"])
    with transaction.atomic():
        locked = Loan.objects.select_for_update().get(pk=loan.pk)
        services.activate(
            locked, value_date=on, channel="bank", net_amount=locked.principal - locked.upfront_fee
        )
    loan.refresh_from_db()
    return loan


def _close_through(day: dt.date, out: TextIO) -> bool:
    """Close business days up to ``day`` (the close of business catches every loan up from its
    ``closed_through``); delay notices are left to the nightly run."""
    close_of_day.run(day, send_notices=False)
    return True


def _pay(loan: Loan, amount: int, on: dt.date, reference: str, out: TextIO) -> bool:
    """A bank transfer with the loan's payment reference, as the statement import posts it."""
    repayments.post_payment(
        loan, channel="bank", payer_reference=reference, amount_tiyn=amount, value_date=on, actor="demo"
    )
    return True


def _live(loan: Loan, spec: dict, out: TextIO) -> None:
    """Each instalment of the story paid by bank transfer two days before it falls due, the days
    in between closed by the close of business; the repaid loan is then repaid early today."""
    today = timezone.localdate()
    paid = {"active": 1, "overdue": 1, "repaid": 3}[spec["story"]]
    rows = list(Instalment.objects.filter(loan=loan, version=loan.schedule_version).order_by("number"))
    for row in rows[:paid]:
        pay_day = row.due_date - dt.timedelta(days=2)
        if pay_day >= today:
            break
        _close_through(pay_day - dt.timedelta(days=1), out)
        _pay(loan, row.total, pay_day, f"demo-{loan.number}-{row.number}", out)
    _close_through(today - dt.timedelta(days=1), out)
    if spec["story"] != "repaid":
        return
    loan.refresh_from_db()
    quote = repayments.early_repayment_quote(loan, today, mode="full")
    repayments.repay_early(
        loan,
        mode="full",
        on=today,
        amount=quote.to_pay,
        channel="bank",
        payer_reference=f"demo-{loan.number}-early",
        actor="demo",
    )


def _merchant(out: TextIO) -> None:
    today = timezone.localdate()
    merchant, created = Merchant.objects.get_or_create(
        bin=DEMO_MERCHANT["bin"],
        defaults={
            **DEMO_MERCHANT,
            "contract_from": today - dt.timedelta(days=30),
            "contract_to": today.replace(year=today.year + 2),
        },
    )
    if created:
        out.write(f"partner merchant: {merchant.name} (BIN {merchant.bin}) – name it in an application\n")


def load_demo(out: TextIO) -> None:
    _merchant(out)
    for spec in DEMO_LOANS:
        client = _client(spec)
        loan = Loan.objects.filter(client=client).first()
        if loan is None:
            loan = _signed_loan(client, spec)
            if loan is None:
                out.write(f"demo loan of {client.display_name}: not approved, skipped\n")
                continue
            loan = _disburse_in_the_past(loan, timezone.localdate() - dt.timedelta(days=spec["days_ago"]))
            _live(loan, spec, out)
            loan.refresh_from_db()
        out.write(
            f"demo loan {loan.number} of {client.display_name} ({spec['story']}): {loan.get_status_display()},"
            f" {loan.days_past_due} days past due – sign in with {client.phone} (cabinet → My loans)\n"
        )
    client = _client(CASH_DESK_LOAN)
    loan = Loan.objects.filter(client=client).first()
    if loan is None and (loan := _signed_loan(client, CASH_DESK_LOAN)) is not None:
        _at_the_cash_desk(loan, out)
    if loan is not None:
        out.write(
            f"demo loan {loan.number} of {client.display_name} (paid out at the cash desk, awaiting the"
            f" second approval): back office → Payout approvals, as accountant\n"
        )
