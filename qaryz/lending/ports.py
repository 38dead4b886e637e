"""Outside systems the lending room needs (typed ports; adapters in qaryz/lending/adapters/)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol


@dataclass(frozen=True)
class BureauLoan:
    creditor: str
    outstanding: Decimal
    monthly_payment: Decimal
    overdue_days: int
    max_overdue_days_12m: int


@dataclass(frozen=True)
class CreditReport:
    """The internal report model every bureau adapter maps to (docs/lending.md "Credit bureau")."""

    report_id: str
    iin: str
    voluntary_refusal: bool
    voluntary_refusal_since: dt.date | None
    loans: list[BureauLoan] = field(default_factory=list)
    applications_last_hour: int = 0
    raw: dict = field(default_factory=dict)

    @property
    def monthly_payments(self) -> Decimal:
        return sum((loan.monthly_payment for loan in self.loans), Decimal("0"))

    @property
    def total_debt(self) -> Decimal:
        return sum((loan.outstanding for loan in self.loans), Decimal("0"))

    @property
    def current_overdue_days(self) -> int:
        return max((loan.overdue_days for loan in self.loans), default=0)

    @property
    def max_overdue_days_12m(self) -> int:
        return max((loan.max_overdue_days_12m for loan in self.loans), default=0)


class BureauError(Exception):
    """The bureau could not answer (network, refusal, malformed answer): the decision waits."""


class CreditBureau(Protocol):
    name: str

    def report(
        self, iin: str, *, consent_reference: str, consent_at: dt.datetime, account: str
    ) -> CreditReport:
        """The credit report of ``iin`` requested under the client's recorded consent, by the named
        bureau account (R-CB-1: each account belongs to one named person)."""
        ...
