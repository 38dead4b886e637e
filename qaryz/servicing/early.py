"""The early-repayment calculator of the cabinet and the API, on top of ``repayments``.

``repayments.early_repayment_quote`` and ``repayments.repay_early`` are called with this contract
(docs/servicing.md "Early repayment from the cabinet"):

    early_repayment_quote(loan, *, mode, amount, on) -> quote
    repay_early(loan, *, mode, amount, on, actor) -> Payment | loan

``mode`` is ``full``, ``shorter_term`` or ``lower_instalment``; ``amount`` is tiyn (None for
``full``); a refusal raises ``ServicingError`` with a translated message. The quote may be an
object or a dict with ``amount`` (tiyn to pay), ``interest_to_date`` (tiyn, optional) and
``instalments`` (the new schedule: rows with ``number``, ``due_date``, ``principal``, ``interest``,
``fee``). This module turns it into one shape for the page and the API.
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
    answer = repayments.early_repayment_quote(loan, mode=mode, amount=amount, on=on)
    rows = [
        QuoteRow(
            number=int(_get(r, "number", n)),
            due_date=_get(r, "due_date"),
            principal=_tiyn(_get(r, "principal")),
            interest=_tiyn(_get(r, "interest")),
            fee=_tiyn(_get(r, "fee", 0)),
        )
        for n, r in enumerate(_get(answer, "instalments", None) or [], start=1)
    ]
    return Quote(
        mode=mode,
        amount=_tiyn(_get(answer, "amount", amount)),
        interest_to_date=_tiyn(_get(answer, "interest_to_date", 0)),
        instalments=rows,
    )


def repay(loan: Loan, *, mode: str, amount: int | None, on: dt.date, actor: Any) -> Any:
    repayments = _repayments()
    if repayments is None:
        raise LookupError("repayments module not installed")
    return repayments.repay_early(loan, mode=mode, amount=amount, on=on, actor=actor)
