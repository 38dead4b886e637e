"""Loans for servicing tests: signed through the lending room's real path (an individual
entrepreneur's business loan needs biometrics but no EDS, R-SIGN-1), then paid out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from qaryz.clients.models import Client
from qaryz.lending import services as lending_services
from qaryz.lending.tests.factories import make_client
from qaryz.lending.tests.test_signing import passed_biometrics
from qaryz.servicing import services
from qaryz.servicing.demo import DEMO_IBAN
from qaryz.servicing.models import Loan


def signed_loan(
    product,
    amount: str = "300000",
    term: int = 12,
    method: str = "annuity",
    *,
    disbursement: str = "bank_account",
    iban: str = DEMO_IBAN,
    **client,
) -> Loan:
    """``disbursement`` and ``iban`` as the client chose them in the application (another client's
    IBAN is held by an active antifraud rule set: tests with one pass their own)."""
    client_row = make_client(kind=Client.Kind.ENTREPRENEUR, **client)
    app = lending_services.create_application(client_row, product, Decimal(amount), term, method)
    for key in lending_services.ACK_KEYS:
        lending_services.acknowledge(app, key)
    lending_services.choose_disbursement(
        app, disbursement, iban=iban if disbursement == "bank_account" else ""
    )
    lending_services.submit(app, monthly_income=Decimal("900000"), bureau_consent=True)
    app.refresh_from_db()
    assert app.status == "approved", app.status
    contract = lending_services.prepare_contract(app)
    lending_services.start_signing(contract)
    passed_biometrics(app.client)
    lending_services.complete_signing(contract)
    return Loan.objects.get(contract=contract)


def active_loan(product, on: dt.date, **kwargs) -> Loan:
    """A signed loan whose payout the bank confirmed on ``on`` (cooling-off not checked here)."""
    loan = signed_loan(product, **kwargs)
    app = loan.application
    app.signed_at = app.signed_at - dt.timedelta(days=2)  # past any cooling-off delay
    app.acknowledgements = {**app.acknowledgements, "disbursement_consent": {"at": "test"}}
    app.save(update_fields=["signed_at", "acknowledgements"])
    with transaction.atomic():
        locked = Loan.objects.select_for_update().get(pk=loan.pk)
        services.activate(
            locked, value_date=on, channel="bank", net_amount=locked.principal - locked.upfront_fee
        )
    loan.refresh_from_db()
    return loan
