"""The demo has one open fraud-victim case (issue 12 "done means"), loaded after the servicing demo."""

from __future__ import annotations

import io

import pytest

from qaryz.core import demo as core_demo
from qaryz.fraudcases import demo
from qaryz.fraudcases.models import FraudCase
from qaryz.lending import demo as lending_demo

pytestmark = pytest.mark.django_db


def test_the_demo_has_one_open_fraud_victim_case():
    for module in (core_demo, lending_demo, demo):
        module.load_demo(io.StringIO())
    out = io.StringIO()
    demo.load_demo(out)  # a second run adds nothing
    case = FraudCase.objects.get()
    assert case.status == FraudCase.Status.REGISTERED and case.case_loans.count() == 1
    assert case.documents.count() == 1 and case.number in out.getvalue()
    loan = case.case_loans.get().loan
    assert loan.status == "active" and loan.payments.count() == 1
