"""Cases for the fraud-victim tests: a real active loan (servicing factories), a registered case."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from qaryz.access.testing import make_staff
from qaryz.clients.models import BankAccount
from qaryz.fraudcases import services
from qaryz.servicing import close_of_day
from qaryz.servicing.models import Loan
from qaryz.servicing.tests.factories import active_loan

START = dt.date(2026, 12, 10)  # the servicing tests' disbursement date
IBAN = "KZ86125KZT5004100100"
PDF = b"%PDF-1.4\n% a scanned submission\n"


def close_through(day: dt.date) -> None:
    close_of_day.run(day, booking_date=day)


def officer():
    return make_staff("compliance")


def register(loan: Loan, actor, *, received_on: dt.date = START, today: dt.date | None = None, **extra):
    return services.register_case(
        client=loan.client,
        kind=extra.pop("kind", "victim_resolution"),
        received_on=received_on,
        authority=extra.pop("authority", "УП г. Алматы, следователь Ахметов Н."),
        reference_number=extra.pop("reference_number", "241500031000123"),
        loans=[loan],
        actor=actor,
        today=today or max(received_on, START),
        **extra,
    )


def loan_with_account(product, on: dt.date = START) -> Loan:
    loan = active_loan(product, on)
    BankAccount.objects.create(client=loan.client, kind="iban", value=IBAN)
    return loan


class StubBureau:
    """Stands in for qaryz.bureau.services (another helper's room) and records the calls."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def report_suspension(self, loan, *, actor, source=""):
        self.calls.append(("suspension", loan.pk, source))

    def record_correction(self, loan, *, reason, actor, source=""):
        self.calls.append(("correction", loan.pk, source, reason))


class StubCollections:
    """Stands in for qaryz.collections.services.propose_write_off (maker–checker is theirs)."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def propose_write_off(self, loan, *, reason, maker, source=""):
        self.calls.append(("write_off", loan.pk, source, reason))
        return SimpleNamespace(pk=len(self.calls))
