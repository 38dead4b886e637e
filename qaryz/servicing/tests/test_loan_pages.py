"""The client's loans in the cabinet (R-CAB-5, R-CAB-6) and the staff loan card."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import transaction
from django.utils import timezone

from qaryz.access.testing import make_staff, sign_in_client, sign_in_staff
from qaryz.lending.tests.factories import make_client
from qaryz.servicing import ledger
from qaryz.servicing.ledger import Leg
from qaryz.servicing.models import AccountKind, Instalment, Loan, Payment
from qaryz.servicing.tests.factories import active_loan, signed_loan

pytestmark = pytest.mark.django_db


def pay_first_instalment(loan: Loan, *, receipt_id: str = "") -> Payment:
    """A payment of the first instalment written the way repayments posts one (ledger + rows)."""
    with transaction.atomic():
        locked = Loan.objects.select_for_update().get(pk=loan.pk)
        first = Instalment.objects.get(loan=locked, version=locked.schedule_version, number=1)
        ledger.post(
            locked,
            [Leg(AccountKind.INTEREST_ACCRUED, AccountKind.INTEREST_INCOME, first.interest)],
            key=f"test-accrual:{loan.pk}",
            kind="accrual",
            value_date=first.due_date,
        )
        ledger.post(
            locked,
            [
                Leg(AccountKind.CLEARING, AccountKind.INTEREST_ACCRUED, first.interest, channel="bank"),
                Leg(AccountKind.CLEARING, AccountKind.PRINCIPAL_CURRENT, first.principal, channel="bank"),
            ],
            key=f"test-pay:{loan.pk}",
            kind="repayment",
            value_date=first.due_date,
        )
        locked.save()
        first.principal_paid, first.interest_paid, first.paid_on = (
            first.principal,
            first.interest,
            first.due_date,
        )
        first.save()
        return Payment.objects.create(
            loan=locked,
            channel="bank",
            payer_reference=f"test-{loan.pk}",
            amount=first.principal + first.interest,
            value_date=first.due_date,
            received_at=timezone.now(),
            allocation={"interest_accrued": first.interest, "principal_current": first.principal},
            receipt_document_id=receipt_id,
        )


@pytest.fixture
def loan(lending_setup):
    return active_loan(lending_setup, timezone.localdate() - dt.timedelta(days=40))


@pytest.mark.req("R-CAB-5", "R-CAB-6")
def test_owner_sees_debt_schedule_payments_and_how_to_repay(client, loan, settings):
    settings.SERVICING_CASH_DESKS = [
        {"kind": "cash_desk", "name": "Касса №1", "address": "Алматы, Абая 10", "hours": "09–18"},
        {"kind": "terminal", "name": "Терминал Kassa24", "address": "ТРЦ Mega", "hours": "24/7"},
    ]
    pay_first_instalment(loan)
    loan.refresh_from_db()
    sign_in_client(client, loan.client)
    page = client.get(f"/servicing/loans/{loan.pk}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert loan.number in body and loan.payment_reference in body
    assert 'data-state="paid"' in body and 'data-state="upcoming"' in body
    assert body.count("<tr class=") >= loan.term_months
    assert "Касса №1" in body and "Терминал Kassa24" in body
    assert "Основной долг" in body and "Как погасить" in body
    # The principal left is shown as money (ru): the first instalment's principal is gone.
    left = f"{loan.principal_current // 100:,}".replace(",", "\u00a0")
    assert left in body
    bars = re.findall(r'<rect x="([^"]+)" y="([^"]+)" width="([^"]+)" height="([^"]+)"', body)
    assert bars and all(re.fullmatch(r"-?\d+(\.\d+)?", v) for bar in bars for v in bar)
    assert "style=" not in body and "<script>" not in body
    assert 'data-status="paid"' in body  # paid out (fallback until payouts.payout_status)
    listing = client.get("/servicing/loans/").content.decode()
    assert loan.number in listing
    home = client.get("/cabinet/").content.decode()
    assert f"/servicing/loans/{loan.pk}/" in home
    history = client.get(f"/servicing/loans/{loan.pk}/payments/")
    assert history.status_code == 200 and "Банковский перевод" in history.content.decode()


@pytest.mark.req("R-CAB-5")
def test_kazakh_page_has_no_english(client, loan):
    sign_in_client(client, loan.client)
    client.cookies["django_language"] = "kk"
    body = client.get(f"/servicing/loans/{loan.pk}/", HTTP_ACCEPT_LANGUAGE="kk").content.decode()
    for english in ("Principal", "Interest", "Overdue", "How to repay", "Upcoming", "Paid out", "Payments"):
        assert f">{english}<" not in body, english


def test_every_loan_page_is_404_for_another_client_and_302_for_anonymous(client, loan):
    urls = [
        f"/servicing/loans/{loan.pk}/",
        f"/servicing/loans/{loan.pk}/payments/",
        f"/servicing/loans/{loan.pk}/early-repayment/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url
    sign_in_client(client, make_client())
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert loan.number not in client.get("/servicing/loans/").content.decode()
    client.cookies.clear()
    sign_in_client(client, loan.client)
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_awaiting_loan_shows_disbursement_pending_and_no_schedule(client, lending_setup):
    loan = signed_loan(lending_setup)
    sign_in_client(client, loan.client)
    body = client.get(f"/servicing/loans/{loan.pk}/").content.decode()
    assert 'data-status="awaiting"' in body and 'id="schedule"' not in body


def test_receipt_of_a_payment_downloads_for_the_owner_only(client, loan):
    from qaryz.records.selectors import receipts_of
    from qaryz.records.services import store_document

    document = store_document(
        b"receipt body",
        kind="payment_receipt",
        direction="outbound",
        owner=loan.client,
        media_type="application/pdf",
    )
    receipt = receipts_of(loan.client).get(document=document)
    pay_first_instalment(loan, receipt_id=str(document.id))
    sign_in_client(client, loan.client)
    body = client.get(f"/servicing/loans/{loan.pk}/").content.decode()
    url = f"/servicing/receipts/{receipt.pk}.pdf"
    assert url in body
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    client.cookies.clear()
    sign_in_client(client, make_client())
    assert client.get(url).status_code == 404


@pytest.mark.req("R-ACC-1")
def test_staff_loan_card_shows_every_transfer_with_accounts_in_words(client, loan):
    pay_first_instalment(loan)
    sign_in_staff(client, make_staff("accountant"))
    page = client.get(f"/backoffice/loans/{loan.pk}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert body.count("<tr>", body.index('id="transfer-table"')) >= 5  # 2 disbursement + accrual + 2 payment
    assert "1411." in body and "Выдача" in body and "Поступил платёж" in body
    for code in (">disbursement<", ">repayment<", "principal_current", "interest_income"):
        assert code not in body, code
    assert loan.number in client.get("/backoffice/loans/", {"q": loan.number}).content.decode()
    assert client.get("/backoffice/loans/999999/").status_code == 404
    client.cookies.clear()
    sign_in_staff(client, make_staff("security"))
    assert client.get(f"/backoffice/loans/{loan.pk}/").status_code == 403


def make_second_instalment_overdue(loan: Loan, days: int = 7) -> None:
    """What the close of business does when instalment 2 falls due unpaid (the unit under test
    here is the page, not the close): interest accrued, principal and interest moved to overdue,
    a penalty, the delay dates on the loan."""
    with transaction.atomic():
        locked = Loan.objects.select_for_update().get(pk=loan.pk)
        second = Instalment.objects.get(loan=locked, version=locked.schedule_version, number=2)
        penalty = (second.principal + second.interest) * 5 // 1000 * days
        ledger.post(
            locked,
            [
                Leg(AccountKind.INTEREST_ACCRUED, AccountKind.INTEREST_INCOME, second.interest),
                Leg(AccountKind.INTEREST_OVERDUE, AccountKind.INTEREST_ACCRUED, second.interest),
                Leg(AccountKind.PRINCIPAL_OVERDUE, AccountKind.PRINCIPAL_CURRENT, second.principal),
                Leg(AccountKind.PENALTY, AccountKind.PENALTY_INCOME, penalty),
            ],
            key=f"test-overdue:{loan.pk}",
            kind="overdue",
            value_date=second.due_date,
        )
        locked.overdue_since = timezone.localdate() - dt.timedelta(days=days - 1)
        locked.days_past_due = days
        locked.penalty_year_accrued = penalty
        locked.save()
        second.fell_due = True
        second.save()


@pytest.mark.req("R-CAB-5")
def test_overdue_loan_shows_days_past_due_and_the_overdue_split(client, lending_setup):
    loan = active_loan(lending_setup, timezone.localdate() - dt.timedelta(days=70))
    pay_first_instalment(loan)
    make_second_instalment_overdue(loan, days=9)
    loan.refresh_from_db()
    sign_in_client(client, loan.client)
    body = client.get(f"/servicing/loans/{loan.pk}/").content.decode()
    assert 'id="days-past-due"' in body and "9 дней просрочки" in body
    assert 'data-state="overdue"' in body
    overdue = f"{(loan.principal_overdue + loan.interest_overdue + loan.penalty) // 100:,}".replace(
        ",", "\u00a0"
    )
    assert overdue in body.split('id="debt-overdue"')[1][:80]
