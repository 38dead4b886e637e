"""Test helpers: loans closed through a past day (cob_stub), a responsible person."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from qaryz.access.testing import make_staff
from qaryz.bureau import services
from qaryz.bureau.models import ResponsiblePerson
from qaryz.servicing.models import Instalment, Loan
from qaryz.servicing.tests.cob_stub import close_through
from qaryz.servicing.tests.factories import active_loan

START = dt.date(2026, 8, 3)  # in the past: a feed is sent only for a day that has ended


def reporter(account: str = "bureau-ivanova", **kwargs) -> ResponsiblePerson:
    user = kwargs.pop("user", None) or make_staff("compliance")
    return services.appoint_responsible_person(
        user,
        account=account,
        actor="system",
        active_from=kwargs.pop("active_from", timezone.localdate() - dt.timedelta(days=30)),
        **kwargs,
    )


def feed_day(product) -> dt.date:
    """The first instalment's due date + 5 of a loan paid out on START."""
    loan = active_loan(product, START)
    first = Instalment.objects.get(loan=loan, number=1)
    day = first.due_date + dt.timedelta(days=5)
    close_through(loan, day)
    return day


def overdue_loan(product) -> tuple[Loan, dt.date]:
    """A loan paid out on START whose first instalment fell due unpaid, closed through 5 days later."""
    day = feed_day(product)
    return Loan.objects.order_by("-id").first(), day


def current_loan(product, day: dt.date) -> Loan:
    """A loan paid out 10 days before ``day`` (nothing due yet), closed through ``day``."""
    return close_through(active_loan(product, day - dt.timedelta(days=10)), day)
