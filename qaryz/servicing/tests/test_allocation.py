"""Allocation of a payment (pure): never more than owed, the rest an advance, the contract's order."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qaryz.servicing.allocation import (
    BASE_ITEMS,
    ITEMS,
    AllocationError,
    allocate,
    effective_order,
    spread_oldest_first,
)

orders = st.permutations(list(BASE_ITEMS))
owed_maps = st.fixed_dictionaries({item: st.integers(0, 10**9) for item in ITEMS})


def test_base_items_are_the_lending_rooms_items():
    from qaryz.lending.products import ALLOCATION_ITEMS

    assert list(BASE_ITEMS) == ALLOCATION_ITEMS


@given(st.integers(0, 5 * 10**9), owed_maps, orders)
def test_parts_and_advance_add_up_and_no_part_exceeds_what_is_owed(payment, owed, order):
    split = allocate(payment, owed, order)
    assert split.allocated + split.advance == payment
    for item in ITEMS:
        assert 0 <= split.parts[item] <= owed[item]
    # An advance only when everything owed is paid.
    if split.advance:
        assert all(split.parts[item] == owed[item] for item in ITEMS)


@given(st.integers(0, 5 * 10**9), owed_maps, orders)
def test_order_is_respected(payment, owed, order):
    split = allocate(payment, owed, order)
    sequence = effective_order(order)
    for i, item in enumerate(sequence):
        if split.parts[item] < owed[item]:
            # an item not paid in full: nothing went to any later item
            assert all(split.parts[later] == 0 for later in sequence[i + 1 :] if owed[later])


def test_overdue_fees_follow_overdue_interest():
    order = ["penalty", "overdue_interest", "overdue_principal", "current_interest", "current_principal"]
    assert effective_order(order)[:3] == ["penalty", "overdue_interest", "overdue_fees"]
    split = allocate(
        150, {"penalty": 50, "overdue_interest": 60, "overdue_fees": 30, "overdue_principal": 100}, order
    )
    assert split.parts["penalty"] == 50 and split.parts["overdue_interest"] == 60
    assert split.parts["overdue_fees"] == 30 and split.parts["overdue_principal"] == 10
    assert split.advance == 0


def test_reverse_order_pays_penalty_before_overdue_principal():
    split = allocate(100, {"overdue_principal": 80, "penalty": 40}, list(reversed(BASE_ITEMS)))
    assert split.parts["penalty"] == 40 and split.parts["overdue_principal"] == 60
    split = allocate(100, {"overdue_principal": 80, "penalty": 40}, list(BASE_ITEMS))
    assert split.parts["overdue_principal"] == 80 and split.parts["penalty"] == 20


def test_overpayment_is_an_advance():
    split = allocate(1000, {"overdue_interest": 300}, list(BASE_ITEMS))
    assert split.parts["overdue_interest"] == 300 and split.advance == 700


def test_bad_input_is_refused():
    with pytest.raises(AllocationError):
        allocate(1, {}, ["penalty"])
    with pytest.raises(AllocationError):
        allocate(-1, {}, list(BASE_ITEMS))
    with pytest.raises(AllocationError):
        allocate(1, {"penalty": -5}, list(BASE_ITEMS))
    with pytest.raises(AllocationError):
        allocate(1, {"bogus": 5}, list(BASE_ITEMS))


@given(st.lists(st.integers(0, 10**6), max_size=12), st.data())
def test_spread_oldest_first(unpaid, data):
    amount = data.draw(st.integers(0, sum(unpaid)))
    parts = spread_oldest_first(amount, unpaid)
    assert sum(parts) == amount
    assert all(0 <= p <= u for p, u in zip(parts, unpaid, strict=True))
    first_short = next((i for i, (p, u) in enumerate(zip(parts, unpaid, strict=True)) if p < u), None)
    if first_short is not None:
        assert all(p == 0 for p in parts[first_short + 1 :])
