"""`manage.py seed_demo` – the data `scripts/start` loads: complete, idempotent, with work waiting
in the back-office queues (R-PRE-1, R-AML-1)."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from qaryz.clients.models import Client
from qaryz.compliance.models import Screening
from qaryz.lending.models import Application, Product


@pytest.mark.req("R-AML-1", "R-PRE-1")
@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_fills_the_review_queues(settings, tmp_path):
    settings.DEMO_MODE = True
    settings.DATA_DIR = tmp_path / "data"  # demo ID-card photos
    settings.EDS_TEST_PKI_DIR = tmp_path / "test-pki"  # the demo test PKI, not the shared one
    first = io.StringIO()
    call_command("seed_demo", stdout=first)
    output = first.getvalue()
    for role in (
        "underwriter",
        "cash_desk",
        "compliance",
        "security",
        "support",
        "accountant",
        "administrator",
    ):
        assert f"staff {role}: user {role}" in output
    # two clients of the origination demo, three with loans (active, overdue, repaid), one whose
    # cash-desk payout awaits the second approval, one with a loan under a fraud-victim case
    assert Client.objects.filter(status=Client.Status.CONFIRMED).count() == 7
    from qaryz.servicing.models import Loan

    stories = {loan.client.phone: loan for loan in Loan.objects.select_related("client")}
    assert stories["+77010000011"].status == Loan.Status.ACTIVE
    assert stories["+77010000012"].days_past_due > 0 and stories["+77010000012"].penalty > 0
    assert stories["+77010000013"].status == Loan.Status.CLOSED
    assert Product.objects.filter(code="online", is_active=True).count() == 1
    waiting = Application.objects.get(client__phone="+77010000003")
    assert waiting.status == Application.Status.REVIEW
    assert Screening.objects.get(context="application", context_id=str(waiting.pk)).review_status == "pending"
    counts = (
        Client.objects.count(),
        Application.objects.count(),
        get_user_model().objects.count(),
        Loan.objects.count(),
    )
    call_command("seed_demo", stdout=io.StringIO())
    assert (
        Client.objects.count(),
        Application.objects.count(),
        get_user_model().objects.count(),
        Loan.objects.count(),
    ) == counts
