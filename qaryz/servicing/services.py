"""Booking loans: from a signed contract (awaiting disbursement) to an active loan whose schedule is
re-based to the real disbursement date. Payouts (``payouts.py``), repayments (``repayments.py``),
restructuring (``restructuring.py``) and the close of business (``close_of_day.py``) build on this.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction

from qaryz.lending import previews
from qaryz.lending import selectors as lending_selectors
from qaryz.lending.models import Contract
from qaryz.lending.schedules import DayCount, LoanTerms, Method, Schedule, build_schedule
from qaryz.records.services import record_event as audit
from qaryz.servicing import ledger
from qaryz.servicing.amounts import percent_of, percent_to_ppm, to_tiyn
from qaryz.servicing.ledger import Leg
from qaryz.servicing.models import AccountKind, Instalment, Loan


class ServicingError(Exception):
    """A servicing operation refused; ``message`` is translated and shown to the user."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _luhn_digit(digits: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def new_payment_reference() -> str:
    """Ten random digits and a Luhn check digit: what the borrower writes in a bank transfer."""
    while True:
        body = f"{secrets.randbelow(10**10):010d}"
        reference = body + _luhn_digit(body)
        if not Loan.objects.filter(payment_reference=reference).exists():
            return reference


def valid_payment_reference(reference: str) -> bool:
    return len(reference) == 11 and reference.isdigit() and _luhn_digit(reference[:-1]) == reference[-1]


@transaction.atomic
def book_loan(contract: Contract) -> Loan:
    """The loan of a just-signed contract, awaiting disbursement (idempotent). Its terms are the
    contract's as in force (amendments included); caps come from the contract's rule set."""
    existing = Loan.objects.filter(contract=contract).first()
    if existing is not None:
        return existing
    app = contract.application
    product = app.product
    rule_set = app.rule_set
    terms = lending_selectors.terms_in_force(contract)
    ledger.ensure_chart(product.pk)
    principal = to_tiyn(app.amount)
    schedule = terms["schedule"]
    upfront = to_tiyn(schedule.get("totals", {}).get("upfront_fees", "0"))
    loan = Loan.objects.create(
        application=app,
        contract=contract,
        client=app.client,
        product=product,
        rule_set=rule_set,
        number=contract.number,
        payment_reference=new_payment_reference(),
        principal=principal,
        annual_rate_percent=product.nominal_rate_percent,
        day_count=product.day_count,
        method=terms["method"],
        term_months=terms["term_months"],
        payment_day=terms["payment_day"],
        fees=product.fees,
        upfront_fee=upfront,
        allocation_order=contract.allocation_order or product.allocation_order,
        penalty_ppm_high=percent_to_ppm(
            min(product.penalty_daily_percent, rule_set.penalty_max_daily_percent)
        ),
        penalty_high_days=min(product.penalty_after_days, rule_set.penalty_high_days),
        penalty_ppm_after=percent_to_ppm(
            min(product.penalty_after_daily_percent, rule_set.penalty_after_daily_percent)
        ),
        penalty_year_cap=percent_of(principal, rule_set.penalty_max_annual_percent),
    )
    audit(
        "servicing.loan_booked",
        actor=app.client,
        target=loan,
        data={"number": loan.number, "principal": principal},
    )
    return loan


def on_contract_signed(sender: Any, contract: Contract, **kwargs: Any) -> None:
    book_loan(contract)


def rebased_schedule(loan: Loan, start: dt.date) -> Schedule:
    """The contract's schedule re-built from the real disbursement date (first-period rule of the
    product, the same amount, rate, method, term, payment day and fees)."""
    return build_schedule(
        LoanTerms(
            principal=Decimal(loan.principal) / 100,
            term_months=loan.term_months,
            annual_rate_percent=Decimal(loan.annual_rate_percent),
            method=Method(loan.method),
            start_date=start,
            day_count=DayCount(loan.day_count),
            fees=tuple(previews.fees_from_dicts(loan.fees or [])),
            payment_day=loan.payment_day,
            first_period_min_days=settings.LENDING_FIRST_PERIOD_MIN_DAYS,
        )
    )


def write_schedule(loan: Loan, schedule: Schedule, *, version: int, first_start: dt.date) -> list[Instalment]:
    """Instalment rows of ``schedule`` as version ``version``; sets the loan's accruing instalment."""
    rows = []
    start = first_start
    for item in schedule.instalments:
        rows.append(
            Instalment(
                loan=loan,
                version=version,
                number=item.number,
                period_start=start,
                due_date=item.due_date,
                principal=to_tiyn(item.principal),
                interest=to_tiyn(item.interest),
                fee=to_tiyn(item.fee),
            )
        )
        start = item.due_date
    Instalment.objects.bulk_create(rows)
    loan.schedule_version = version
    set_accruing(loan, rows[0] if rows else None)
    return rows


def set_accruing(loan: Loan, instalment: Instalment | None) -> None:
    if instalment is None:
        loan.cur_number, loan.cur_start, loan.cur_due, loan.cur_interest = None, None, None, 0
    else:
        loan.cur_number = instalment.number
        loan.cur_start = instalment.period_start
        loan.cur_due = instalment.due_date
        loan.cur_interest = instalment.interest - instalment.interest_paid


def activate(loan: Loan, *, value_date: dt.date, channel: str, net_amount: int, actor: Any = None) -> Loan:
    """The bank (or cashier) confirmed the payout on ``value_date``: schedule re-based, the
    disbursement posted (principal receivable against clearing for the money paid out and fee
    income for a fee withheld), the application marked disbursed. Caller holds the loan lock."""
    from qaryz.lending.services import mark_disbursed

    if loan.status != Loan.Status.AWAITING:
        raise ServicingError("loan is not awaiting disbursement")
    if net_amount + loan.upfront_fee != loan.principal:
        raise ServicingError("payout amount does not match the principal net of upfront fees")
    schedule = rebased_schedule(loan, value_date)
    write_schedule(loan, schedule, version=1, first_start=value_date)
    ledger.post(
        loan,
        [
            Leg(AccountKind.PRINCIPAL_CURRENT, AccountKind.CLEARING, net_amount, channel=channel),
            Leg(AccountKind.PRINCIPAL_CURRENT, AccountKind.FEE_INCOME, loan.upfront_fee),
        ],
        key=f"disb:{loan.pk}",
        kind="disbursement",
        value_date=value_date,
    )
    loan.status = Loan.Status.ACTIVE
    loan.disbursed_on = value_date
    loan.closed_through = loan.accrued_through = loan.penalty_through = value_date
    loan.penalty_year_end = _add_year(value_date)
    loan.save()
    mark_disbursed(loan.application, actor=actor)
    audit(
        "servicing.loan_disbursed",
        actor=actor,
        target=loan,
        data={
            "number": loan.number,
            "value_date": value_date.isoformat(),
            "net": net_amount,
            "channel": channel,
        },
    )
    return loan


def _add_year(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)
