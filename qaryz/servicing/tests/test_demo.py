"""The demo loans load through the real services and are idempotent (issue 10 item 8)."""

from __future__ import annotations

import io

import pytest

from qaryz.core import demo as core_demo
from qaryz.lending import demo as lending_demo
from qaryz.servicing import demo
from qaryz.servicing.models import Loan

pytestmark = pytest.mark.django_db


def test_demo_loans_load_once_and_show_in_the_cabinet(client):
    from qaryz.access.testing import sign_in_client

    for module in (core_demo, lending_demo, demo):
        module.load_demo(io.StringIO())
    out = io.StringIO()
    demo.load_demo(out)  # second run: nothing new
    loans = list(Loan.objects.filter(client__phone__in=[s["phone"] for s in demo.DEMO_LOANS]))
    assert len(loans) == 3 and out.getvalue().count("demo loan QZ-") == 3
    assert all(loan.disbursed_on is not None for loan in loans)
    sign_in_client(client, loans[0].client)
    page = client.get(f"/servicing/loans/{loans[0].pk}/")
    assert page.status_code == 200 and loans[0].payment_reference in page.content.decode()
