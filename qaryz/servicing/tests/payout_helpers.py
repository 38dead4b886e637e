"""Loans ready for a payout and the bank simulator set up deterministically (tests of payouts)."""

from __future__ import annotations

import datetime as dt

import pytest

from qaryz.clients.models import BankAccount
from qaryz.lending.models import Application
from qaryz.servicing import payouts
from qaryz.servicing.adapters.bank_embedded import EmbeddedPayoutBank
from qaryz.servicing.models import Loan, Merchant
from qaryz.servicing.tests.factories import signed_loan

IBAN = "KZ86125KZT5004100100"  # the application's payout IBAN in factories.signed_loan
CARD = "4400430000000008"


@pytest.fixture(name="sim")
def sim_fixture(settings) -> EmbeddedPayoutBank:
    """The embedded bank with no timer thread and no delay: tests deliver webhooks explicitly."""
    settings.PAYOUT_BANK = "embedded"
    settings.PAYOUT_SIM_AUTO_DELIVER = False
    settings.PAYOUT_SIM_DELAY_SECONDS = 0
    settings.PAYOUT_SIM_MODE = "normal"
    settings.PAYOUT_SIM_WEBHOOK_URL = ""
    settings.PAYOUT_SIM_ACCOUNTS = {}
    settings.PAYOUT_WEBHOOK_SECRET = "test-webhook-secret"
    return EmbeddedPayoutBank()


def ready_loan(
    product,
    *,
    method: str = "bank_account",
    register: str | None = IBAN,
    register_kind: str = "iban",
    wait: bool = True,
    consent: bool = True,
    **fields: object,
) -> Loan:
    """A signed loan whose cooling-off is over (``wait``) with consent given (``consent``), the
    client's registered account ``register`` and the application's method and fields."""
    chosen = ("amount", "term", "kind", "disbursement", "iban")  # as the application chose them
    loan = signed_loan(product, **{k: v for k, v in fields.items() if k in chosen})
    app_fields: dict[str, object] = {"disbursement_method": method}
    app_fields.update(
        {k: v for k, v in fields.items() if k in ("payout_iban", "payout_card_masked", "merchant")}
    )
    if method != "bank_account" and "payout_iban" not in fields:
        app_fields["payout_iban"] = ""
    if wait:
        app_fields["signed_at"] = loan.application.signed_at - dt.timedelta(days=3)
    Application.objects.filter(pk=loan.application_id).update(**app_fields)
    if register:
        BankAccount.objects.create(client=loan.client, kind=register_kind, value=register)
    loan = Loan.objects.select_related("application__rule_set", "client").get(pk=loan.pk)
    if consent:
        payouts.give_consent(loan)
    return Loan.objects.select_related("application__rule_set", "client").get(pk=loan.pk)


def merchant(today: dt.date | None = None, **overrides: object) -> Merchant:
    from django.utils import timezone

    from qaryz.access.testing import make_bin

    today = today or timezone.localdate()
    data = {
        "bin": make_bin(),
        "name": "ТОО «Мебель Плюс»",
        "iban": "KZ156010000000123456",
        "contract_number": "П-17",
        "contract_from": today - dt.timedelta(days=30),
        "contract_to": today + dt.timedelta(days=300),
    }
    data.update(overrides)
    return Merchant.objects.create(**data)
