"""Posting to the double-entry ledger: the chart of accounts and ``post`` (the one writer of
``Transfer`` rows outside the close of business, which posts the same rows in SQL).

Callers hold the loan's row lock (``select_for_update``) and pass the locked ``Loan``: ``post``
inserts the transfers and applies them to the loan's cached balances in the same transaction.
A transfer whose idempotency key exists already is not posted again (``post`` returns False).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from qaryz.servicing.models import LOAN_BALANCES, AccountKind, Channel, LedgerAccount, Loan, Transfer

# Account numbers: a prefix per kind, then the product id or the channel. Loan sub-ledger accounts and
# income are per product (different products can be reported apart); clearing is per channel.
NUMBER_PREFIX = {
    AccountKind.PRINCIPAL_CURRENT: "1411",
    AccountKind.PRINCIPAL_OVERDUE: "1424",
    AccountKind.INTEREST_ACCRUED: "1740",
    AccountKind.INTEREST_OVERDUE: "1741",
    AccountKind.PENALTY: "1742",
    AccountKind.FEE_OVERDUE: "1743",
    AccountKind.ADVANCE: "2203",
    AccountKind.REFUND_PAYABLE: "2204",
    AccountKind.INTEREST_INCOME: "4411",
    AccountKind.PENALTY_INCOME: "4412",
    AccountKind.FEE_INCOME: "4413",
    AccountKind.CLEARING: "1030",
    AccountKind.SUSPENSE: "1860",
    AccountKind.WRITE_OFF: "7440",
}
PRODUCT_KINDS = [k for k in AccountKind if k not in (AccountKind.CLEARING, AccountKind.SUSPENSE)]


def ensure_chart(product_id: int) -> None:
    """Create the product's accounts and the channel clearing accounts if missing (idempotent)."""
    for kind in PRODUCT_KINDS:
        LedgerAccount.objects.get_or_create(
            kind=kind,
            product_id=product_id,
            channel="",
            defaults={"number": f"{NUMBER_PREFIX[kind]}.{product_id}", "name": str(kind.label)},
        )
    for channel in Channel:
        LedgerAccount.objects.get_or_create(
            kind=AccountKind.CLEARING,
            product=None,
            channel=channel,
            defaults={
                "number": f"{NUMBER_PREFIX[AccountKind.CLEARING]}.{channel}",
                "name": str(channel.label),
            },
        )
    LedgerAccount.objects.get_or_create(
        kind=AccountKind.SUSPENSE,
        product=None,
        channel="",
        defaults={"number": NUMBER_PREFIX[AccountKind.SUSPENSE], "name": str(AccountKind.SUSPENSE.label)},
    )


@lru_cache(maxsize=1024)
def _account_id(kind: str, product_id: int | None, channel: str) -> int:
    if kind == AccountKind.CLEARING or kind == AccountKind.SUSPENSE:
        product_id = None
    if kind != AccountKind.CLEARING:
        channel = ""  # a leg's channel names its clearing account only
    return LedgerAccount.objects.values_list("id", flat=True).get(
        kind=kind, product_id=product_id, channel=channel
    )


def account_id(kind: str, product_id: int | None, channel: str = "") -> int:
    try:
        return _account_id(kind, product_id, channel)
    except LedgerAccount.DoesNotExist:
        _account_id.cache_clear()
        raise


@dataclass(frozen=True)
class Leg:
    """``amount`` tiyn moved from ``credit`` to ``debit`` (account kinds; clearing needs a channel)."""

    debit: str
    credit: str
    amount: int
    channel: str = ""


def transfer_values(
    loan: Loan | None,
    legs: list[Leg],
    *,
    key: str,
    kind: str,
    value_date: dt.date,
    entry: str = "",
    booking_date: dt.date | None = None,
) -> list[dict[str, Any]]:
    """The transfers ``<key>:<n>`` of ``legs`` (legs of zero skipped) as column values for
    ``core.bulk.insert_values``. Pure construction: ``apply`` updates the cached balances, ``post``
    (or a caller's bulk insert) writes the rows. Without a loan only the product-less accounts
    (clearing, suspense) can be named. ``booking_date``: today unless given (a batch asks once)."""
    legs = [leg for leg in legs if leg.amount != 0]
    if any(leg.amount < 0 for leg in legs):
        raise ValueError("a transfer amount cannot be negative")
    today = booking_date or timezone.localdate()
    product_id = loan.product_id if loan is not None else None
    return [
        {
            "key": f"{key}:{n}",
            "kind": kind,
            "entry": entry or key,
            "loan_id": loan.pk if loan is not None else None,
            "debit_id": account_id(leg.debit, product_id, leg.channel),
            "credit_id": account_id(leg.credit, product_id, leg.channel),
            "amount": leg.amount,
            "value_date": value_date,
            "booking_date": today,
            "reversal_of_id": None,
        }
        for n, leg in enumerate(legs, start=1)
    ]


def transfer_rows(
    loan: Loan | None, legs: list[Leg], *, key: str, kind: str, value_date: dt.date, entry: str = ""
) -> list[Transfer]:
    """``transfer_values`` as unsaved model instances."""
    return [
        Transfer(**values)
        for values in transfer_values(loan, legs, key=key, kind=kind, value_date=value_date, entry=entry)
    ]


def post_unassigned(legs: list[Leg], *, key: str, kind: str, value_date: dt.date) -> bool:
    """Post transfers between product-less accounts (clearing ↔ suspense) that belong to no loan
    yet. Returns False when ``key`` was posted before."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger.post_unassigned must run inside the caller's transaction")
    if Transfer.objects.filter(key=f"{key}:1").exists():
        return False
    Transfer.objects.bulk_create(transfer_rows(None, legs, key=key, kind=kind, value_date=value_date))
    return True


def apply(loan: Loan, legs: list[Leg]) -> None:
    """Apply ``legs`` to ``loan``'s cached balances in memory (the caller saves the loan)."""
    for leg in legs:
        for account, sign in ((leg.debit, 1), (leg.credit, -1)):
            if account in LOAN_BALANCES:
                setattr(loan, account, getattr(loan, account) + sign * LOAN_BALANCES[account] * leg.amount)


def post(
    loan: Loan,
    legs: list[Leg],
    *,
    key: str,
    kind: str,
    value_date: dt.date,
    entry: str = "",
) -> bool:
    """Post ``legs`` as transfers ``<key>:<n>`` and apply them to ``loan``'s cached balances (the
    caller saves the loan). Legs of zero are skipped. Returns False when ``key`` was posted before."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger.post must run inside the caller's transaction")
    rows = transfer_rows(loan, legs, key=key, kind=kind, value_date=value_date, entry=entry)
    if Transfer.objects.filter(key=f"{key}:1").exists():
        return False
    try:
        with transaction.atomic():
            Transfer.objects.bulk_create(rows)
    except IntegrityError:
        if Transfer.objects.filter(key=f"{key}:1").exists():
            return False
        raise
    apply(loan, [leg for leg in legs if leg.amount != 0])
    return True


def balances_from_transfers(loan_id: int) -> dict[str, int]:
    """The loan's balances summed from its transfers (what the cached columns must equal)."""
    from django.db.models import Sum

    kinds = dict(LedgerAccount.objects.values_list("id", "kind"))
    result = dict.fromkeys(LOAN_BALANCES, 0)
    for side, sign in (("debit", 1), ("credit", -1)):
        for account, total in (
            Transfer.objects.filter(loan_id=loan_id).values_list(side).annotate(total=Sum("amount"))
        ):
            kind = kinds[account]
            if kind in LOAN_BALANCES:
                result[kind] += sign * LOAN_BALANCES[kind] * total
    return result
