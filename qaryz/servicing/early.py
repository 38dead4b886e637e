"""The early-repayment calculator of the cabinet and the API, on top of ``repayments``.

``repayments.early_repayment_quote`` and ``repayments.repay_early`` are called with this contract
(docs/servicing.md "Early repayment from the cabinet"):

    early_repayment_quote(loan, on, *, amount, mode) -> EarlyQuote
    repay_early(loan, *, mode, on, amount, actor) -> Loan

``mode`` is ``full``, ``shorter_term`` or ``lower_instalment``; ``amount`` is tiyn (the money
applied, advance included; None for ``full``); a refusal raises ``ServicingError`` with a
translated message. The quote carries ``amount``, ``to_pay`` (beyond the advance held),
``interest_to_day`` and ``schedule`` (the new rows). The money comes first (a card payment from the
cabinet, a transfer with the payment reference): ``repay_early`` applies it from the advance. This
module turns the quote into one shape for the page and the API.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from qaryz.servicing.models import Loan

MODES = {
    "full": _("Repay the whole loan"),
    "shorter_term": _("Pay part: keep the instalment, shorten the term"),
    "lower_instalment": _("Pay part: keep the term, lower the instalment"),
}


@dataclass(frozen=True)
class QuoteRow:
    number: int
    due_date: dt.date
    principal: int
    interest: int
    fee: int

    @property
    def total(self) -> int:
        return self.principal + self.interest + self.fee


@dataclass(frozen=True)
class Quote:
    mode: str
    amount: int
    interest_to_date: int
    instalments: list[QuoteRow]
    to_pay: int = 0  # what must still come in beyond the advance held

    @property
    def closes_loan(self) -> bool:
        return self.mode == "full" or not self.instalments


def _repayments() -> Any:
    try:
        from qaryz.servicing import repayments  # type: ignore[attr-defined]
    except ImportError:
        return None
    if not hasattr(repayments, "early_repayment_quote") or not hasattr(repayments, "repay_early"):
        return None
    return repayments


def available() -> bool:
    """Whether the repayments module (with early repayment) is installed in this build."""
    return _repayments() is not None


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _tiyn(value: Any) -> int:
    from decimal import Decimal

    from qaryz.servicing.amounts import to_tiyn

    if value is None:
        return 0
    if isinstance(value, int):
        return value
    return to_tiyn(Decimal(str(value)))


def quote(loan: Loan, *, mode: str, amount: int | None, on: dt.date) -> Quote:
    """The quote; raises ``ServicingError`` when refused, ``LookupError`` when not available."""
    repayments = _repayments()
    if repayments is None:
        raise LookupError("repayments module not installed")
    answer = repayments.early_repayment_quote(loan, on, amount=amount, mode=mode)
    rows = [
        QuoteRow(
            number=int(_get(r, "number", n)),
            due_date=_get(r, "due_date"),
            principal=_tiyn(_get(r, "principal")),
            interest=_tiyn(_get(r, "interest")),
            fee=_tiyn(_get(r, "fee", 0)),
        )
        for n, r in enumerate(
            _get(answer, "schedule", None) or _get(answer, "instalments", None) or [], start=1
        )
    ]
    applied = _tiyn(_get(answer, "amount", amount))
    return Quote(
        mode=mode,
        amount=applied,
        interest_to_date=_tiyn(_get(answer, "interest_to_day", _get(answer, "interest_to_date", 0))),
        instalments=rows,
        to_pay=_tiyn(_get(answer, "to_pay", applied)),
    )


def repay(loan: Loan, *, mode: str, amount: int | None, on: dt.date, actor: Any) -> Any:
    """Apply the early repayment from the money received (the advance): ``repay_early`` refuses
    with "pay … first" when the advance does not cover it."""
    repayments = _repayments()
    if repayments is None:
        raise LookupError("repayments module not installed")
    return repayments.repay_early(
        loan, mode=mode, on=on, amount=None if mode == "full" else amount, actor=actor
    )
