"""Applications and contracts in the client's lending flow (issue 15: states for the crawl).

Two clients of their own (the demo's applicants are mid-review or already paid out):

- an individual whose registration address is not known yet, with a draft application (the
  acknowledgement, disbursement-choice and submit forms) and an approved one whose contract asks
  for the address before it can be signed;
- an individual entrepreneur (a business loan: biometrics, no EDS) with an approved application
  whose contract awaits signature, and a loan paid out today whose contract has a draft amendment
  awaiting the client's signature (amendments are possible until the first instalment falls due).

Every application names a payout account of its own: the demo's antifraud rule set holds an
application whose IBAN another client already gave (``shared_iban``), and the other areas' states
use the demo IBAN.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from schwifty import IBAN

INCOME = Decimal("700000")  # a clean bureau answer and a comfortable debt burden: approved


def _iban(account: int) -> str:
    return str(IBAN.generate("KZ", bank_code="125", account_code=f"KZT50041{account:05d}"))


def _application(client, *, submitted: bool, account: int):  # type: ignore[no-untyped-def]
    from qaryz.lending import services
    from qaryz.lending.products import current_products

    product = current_products(client.kind)[0]
    app = services.create_application(client, product, Decimal("300000"), 12, "annuity")
    if not submitted:
        return app
    for key in services.ACK_KEYS:
        services.acknowledge(app, key)
    services.choose_disbursement(app, "bank_account", iban=_iban(account))
    services.submit(app, monthly_income=INCOME, bureau_consent=True)
    app.refresh_from_db()
    assert app.status == "approved", app.status  # a state the crawl relies on
    return app


def _amendment_awaiting_signature(client) -> None:  # type: ignore[no-untyped-def]
    """Signed three days ago (past the cooling-off), paid out today, then a change of term asked for."""
    import time_machine
    from django.db import transaction
    from django.utils import timezone

    from qaryz.lending import amendments, services
    from qaryz.lending.tests.test_signing import passed_biometrics
    from qaryz.servicing import payouts
    from qaryz.servicing import services as servicing
    from qaryz.servicing.models import Loan

    with time_machine.travel(timezone.now() - dt.timedelta(days=3), tick=True):
        app = _application(client, submitted=True, account=901)
        contract = services.prepare_contract(app)
        services.start_signing(contract)  # "" for an IE's business loan
        passed_biometrics(client)
        services.complete_signing(contract)
    loan = Loan.objects.get(contract=contract)
    payouts.give_consent(loan)
    with transaction.atomic():  # what the bank's confirmation of the payout does
        locked = Loan.objects.select_for_update().get(pk=loan.pk)
        servicing.activate(
            locked,
            value_date=timezone.localdate(),
            channel="bank",
            net_amount=locked.principal - locked.upfront_fee,
        )
    contract.refresh_from_db()
    amendments.request_amendment(
        contract, term_months=18, method="annuity", reason="Хочу меньший ежемесячный платёж"
    )


def cabinet() -> None:
    from qaryz.access.testing import make_client
    from qaryz.clients.models import Client
    from qaryz.lending import services

    newcomer = make_client(address="")  # registered before the address was collected
    _application(newcomer, submitted=False, account=0)
    services.prepare_contract(_application(newcomer, submitted=True, account=900))

    entrepreneur = make_client(kind=Client.Kind.ENTREPRENEUR)
    _amendment_awaiting_signature(entrepreneur)
    services.prepare_contract(_application(entrepreneur, submitted=True, account=902))
