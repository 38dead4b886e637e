"""Signals of the compliance room, so that other rooms react without compliance importing them."""

from django.dispatch import Signal

# Sent by ``services.review_screening`` inside its transaction, after the officer's conclusion is
# saved: ``screening`` (the reviewed Screening), ``officer``, ``confirmed`` (bool), ``note``.
# A receiver that raises rolls the review back (lending: qaryz.lending.services.on_screening_reviewed).
screening_reviewed = Signal()
