"""Loans in delay for collections tests: the real close of business from a disbursement date."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from qaryz.servicing import close_of_day
from qaryz.servicing.models import DelayNotice, Instalment, Loan
from qaryz.servicing.tests.factories import active_loan

START = dt.date(2026, 12, 10)
ALMATY = zoneinfo.ZoneInfo("Asia/Almaty")


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=ALMATY)


def loan_in_delay(product, *, language: str = "ru", days_late: int = 0) -> tuple[Loan, DelayNotice]:
    """A loan whose first instalment fell due unpaid (its notice queued), closed ``days_late``
    days into the delay. The notice-sending job is not run (``send_notices=False``)."""
    loan = active_loan(product, START)
    loan.client.preferred_language = language
    loan.client.save(update_fields=["preferred_language"])
    due = Instalment.objects.get(loan=loan, number=1).due_date
    day = due + dt.timedelta(days=days_late)
    close_of_day.run(day, booking_date=day, send_notices=False)
    loan.refresh_from_db()
    return loan, DelayNotice.objects.get(loan=loan)
