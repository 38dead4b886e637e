"""Signals of the lending room, so that other rooms react without lending importing them."""

from django.dispatch import Signal

# Sent inside the signing transaction when a loan contract is signed; kwargs: contract.
# The servicing room books the loan (awaiting disbursement) on it.
contract_signed = Signal()
