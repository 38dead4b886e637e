"""Splitting a payment over what the borrower owes, in the contract's order. Pure: no Django import.

The contract keeps its allocation order as a permutation of the five items of
``qaryz.lending.products.ALLOCATION_ITEMS`` (``BASE_ITEMS`` here, the same list; a test checks they
agree): overdue principal, overdue interest, penalty, current interest, current principal.

**Overdue fees** are not one of the contract's items. They are a charge of the same instalment as
its interest, so they are paid **immediately after overdue interest**, wherever the contract puts
overdue interest (``effective_order``). Fees not yet due are never owed early: an early repayment
pays the principal and the interest to the day, not future months' fees.

``allocate`` never pays an item more than is owed on it; what is left is the **advance**.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

BASE_ITEMS: tuple[str, ...] = (
    "overdue_principal",
    "overdue_interest",
    "penalty",
    "current_interest",
    "current_principal",
)
OVERDUE_FEES = "overdue_fees"
ITEMS: tuple[str, ...] = (*BASE_ITEMS, OVERDUE_FEES)
# What a payment posted at once may pay (not-yet-due amounts wait for their due date or an
# explicit early repayment).
DUE_ITEMS: frozenset[str] = frozenset({"overdue_principal", "overdue_interest", OVERDUE_FEES, "penalty"})


class AllocationError(ValueError):
    pass


def effective_order(order: Sequence[str]) -> list[str]:
    """The contract's order with overdue fees placed right after overdue interest."""
    if sorted(order) != sorted(BASE_ITEMS):
        raise AllocationError(f"allocation order must list each of {', '.join(BASE_ITEMS)} once")
    result: list[str] = []
    for item in order:
        result.append(item)
        if item == "overdue_interest":
            result.append(OVERDUE_FEES)
    return result


@dataclass(frozen=True)
class Split:
    """``parts[item]`` tiyn paid on each item (every item of ``ITEMS`` present), ``advance`` the rest."""

    payment: int
    parts: dict[str, int] = field(default_factory=dict)
    advance: int = 0

    @property
    def allocated(self) -> int:
        return sum(self.parts.values())


def allocate(payment: int, owed: Mapping[str, int], order: Sequence[str]) -> Split:
    """Split ``payment`` tiyn over ``owed`` (item -> tiyn; missing items owe nothing) in ``order``
    (the contract's order of ``BASE_ITEMS``). Each item takes ``min(left, owed)``."""
    if payment < 0:
        raise AllocationError("payment cannot be negative")
    unknown = set(owed) - set(ITEMS)
    if unknown:
        raise AllocationError(f"unknown items {sorted(unknown)}")
    if any(value < 0 for value in owed.values()):
        raise AllocationError("owed amounts cannot be negative")
    left = payment
    parts = dict.fromkeys(ITEMS, 0)
    for item in effective_order(order):
        take = min(left, owed.get(item, 0))
        parts[item] = take
        left -= take
    return Split(payment=payment, parts=parts, advance=left)


def spread_oldest_first(amount: int, unpaid: Sequence[int]) -> list[int]:
    """``amount`` spread over rows owing ``unpaid`` (oldest first): the first rows are paid in full."""
    result = []
    for owe in unpaid:
        take = min(amount, owe)
        result.append(take)
        amount -= take
    if amount:
        raise AllocationError("more paid than the rows owe")
    return result
