"""The demo loans load through the real services and are idempotent (issue 10 item 8)."""

from __future__ import annotations

import io

import pytest

from qaryz.access import demo as access_demo
from qaryz.core import demo as core_demo
from qaryz.lending import demo as lending_demo
from qaryz.servicing import demo
from qaryz.servicing.models import Loan

pytestmark = pytest.mark.django_db


def test_demo_loans_load_once_and_show_in_the_cabinet(client):
    from qaryz.access.testing import sign_in_client

    for module in (core_demo, access_demo, lending_demo, demo):
        module.load_demo(io.StringIO())
    out = io.StringIO()
    demo.load_demo(out)  # second run: nothing new
    by_story = {spec["story"]: Loan.objects.get(client__phone=spec["phone"]) for spec in demo.DEMO_LOANS}
    assert out.getvalue().count("demo loan QZ-") == 4 and Loan.objects.count() == 4
    active, overdue, repaid = by_story["active"], by_story["overdue"], by_story["repaid"]
    assert active.status == Loan.Status.ACTIVE and active.days_past_due == 0
    assert overdue.status == Loan.Status.ACTIVE and overdue.days_past_due > 0 and overdue.penalty > 0
    assert repaid.status == Loan.Status.CLOSED
    assert active.payments.count() == 1 and repaid.payments.count() == 4
    sign_in_client(client, active.client)
    page = client.get(f"/servicing/loans/{active.pk}/").content.decode()
    assert active.payment_reference in page and 'data-state="paid"' in page
    client.cookies.clear()
    sign_in_client(client, overdue.client)
    assert 'id="days-past-due"' in client.get(f"/servicing/loans/{overdue.pk}/").content.decode()


@pytest.mark.req("R-DISB-4")
def test_the_demo_cash_desk_payout_waits_for_the_second_approval():
    """The back office's payout approvals are not empty in the demo: the demo cashier identified
    the borrower against the ID card; the accountant (another staff member) approves."""
    from qaryz.servicing.models import PayoutApproval

    for module in (core_demo, access_demo, lending_demo, demo):
        module.load_demo(io.StringIO())
    loan = Loan.objects.get(client__phone=demo.CASH_DESK_LOAN["phone"])
    approval = PayoutApproval.objects.get(payout__loan=loan)
    assert loan.status == Loan.Status.AWAITING and approval.status == "pending"
    assert approval.maker.username == "cash_desk"
