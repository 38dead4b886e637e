"""Unidentified money sent back to the account it came from: only that account, once, booked
suspense → clearing when the bank confirms, the item open again when the bank refuses."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import call_command
from django.utils import translation

from qaryz.access.testing import make_staff, sign_in_staff
from qaryz.servicing import approvals, payouts, repayments
from qaryz.servicing.adapters.acquirer_embedded import EmbeddedIncomingBank
from qaryz.servicing.models import SuspenseItem, SuspenseReturn, Transfer
from qaryz.servicing.services import ServicingError
from qaryz.servicing.tests.factories import active_loan
from qaryz.servicing.tests.payout_helpers import sim_fixture  # noqa: F401 – the fixture

pytestmark = [pytest.mark.django_db, pytest.mark.req("R-CAB-6")]
START = dt.date(2026, 12, 10)
PAYER = "KZ86125KZT5004100100"
CLOSED_ACCOUNT = "KZ21125KZT5004100009"  # the simulator fails transfers to accounts ending in 0009


@pytest.fixture(autouse=True)
def _chart(lending_setup):
    """A booked loan: the chart of accounts (clearing per channel, suspense) exists."""
    return active_loan(lending_setup, START)


def _item(account: str = PAYER, amount: int = 4200_00) -> SuspenseItem:
    bank = EmbeddedIncomingBank()
    bank.statement()  # drain lines left by other tests
    line = bank.push_transfer(
        amount=amount,
        purpose="перевод без ссылки",
        value_date=START,
        payer_name="Тестов Т.",
        payer_account=account,
    )
    repayments.fetch_statement()
    return SuspenseItem.objects.get(bank_reference=line.bank_reference)


def approved(returned: SuspenseReturn) -> SuspenseReturn:
    """The second approval by another staff member (maker–checker, issue 14)."""
    return approvals.approve(returned.approval, checker=make_staff("accountant"))


def test_a_return_goes_to_the_payers_account_once_and_leaves_suspense(sim, _chart):
    item = _item()
    assert item.payer_account == PAYER
    staff = make_staff("cash_desk")
    returned = payouts.return_suspense(item, reason="  плательщик   просит вернуть ", actor=staff)
    assert returned.account == PAYER and returned.reason == "плательщик просит вернуть"
    assert returned.status == SuspenseReturn.Status.APPROVAL  # maker–checker: nothing sent yet
    assert sim.deliver_pending() == 0
    returned = approved(returned)
    assert returned.status == SuspenseReturn.Status.SENT
    assert SuspenseItem.objects.get(pk=item.pk).status == SuspenseItem.Status.RETURNING
    call_command("check_ledger")  # still in suspense until the bank confirms
    with pytest.raises(ServicingError):  # neither a second return nor an assignment meanwhile
        payouts.return_suspense(item, reason="again", actor=staff)
    with pytest.raises(ServicingError):
        repayments.assign_suspense(item, _chart, actor=staff)

    assert sim.deliver_pending() == 1  # the bank settles and sends its signed webhook
    item.refresh_from_db()
    returned.refresh_from_db()
    assert (item.status, returned.status) == (SuspenseItem.Status.RETURNED, SuspenseReturn.Status.CONFIRMED)
    moved = Transfer.objects.get(key=f"{returned.key}:1")
    assert (moved.debit.kind, moved.credit.kind, moved.amount) == ("suspense", "clearing", 4200_00)
    call_command("check_ledger")
    payouts.apply_suspense_return_outcome(returned.key, "paid")  # a repeated answer books nothing
    assert Transfer.objects.filter(kind="suspense_returned").count() == 1


def test_a_refused_return_puts_the_item_back_and_another_may_follow(sim):
    item = _item(CLOSED_ACCOUNT)
    first = approved(payouts.return_suspense(item, reason="не наш клиент", actor=make_staff("cash_desk")))
    sim.deliver_pending()
    first.refresh_from_db()
    item.refresh_from_db()
    assert first.status == SuspenseReturn.Status.FAILED and item.status == SuspenseItem.Status.OPEN
    assert not Transfer.objects.filter(kind="suspense_returned").exists()
    second = approved(payouts.return_suspense(item, reason="повторно", actor=make_staff("cash_desk")))
    assert second.key != first.key and second.status == SuspenseReturn.Status.SENT
    call_command("check_ledger")


def test_without_the_payers_account_nothing_is_returned(sim):
    item = _item(account="")
    with translation.override("ru"), pytest.raises(ServicingError, match="нет действительного счёта"):
        payouts.return_suspense(item, reason="x", actor=make_staff("cash_desk"))
    with pytest.raises(ServicingError):
        payouts.return_suspense(_item(), reason="   ", actor=make_staff("cash_desk"))
    assert not SuspenseReturn.objects.exists()


def test_an_unreachable_bank_leaves_the_return_pending_for_reconciliation(sim, settings):
    item = _item()
    settings.PAYOUT_SIM_MODE = "down"
    returned = approved(payouts.return_suspense(item, reason="вернуть", actor=make_staff("cash_desk")))
    assert returned.status == SuspenseReturn.Status.PENDING
    settings.PAYOUT_SIM_MODE = "normal"
    counts = payouts.reconcile(older_than_minutes=0)
    assert counts["resent"] == 1
    payouts.reconcile(older_than_minutes=0)  # now settled by the bank: confirmed
    assert SuspenseReturn.objects.get(pk=returned.pk).status == SuspenseReturn.Status.CONFIRMED


def test_the_bank_webhook_settles_a_return(sim):
    item = _item()
    returned = approved(payouts.return_suspense(item, reason="вернуть", actor=make_staff("cash_desk")))
    body = json.dumps({"key": returned.key, "state": "paid", "amount": returned.amount}).encode()
    assert isinstance(payouts.handle_webhook(body, payouts.webhook_signature(body)), SuspenseReturn)
    assert SuspenseItem.objects.get(pk=item.pk).status == SuspenseItem.Status.RETURNED


def test_the_cashier_returns_from_the_suspense_page(sim, client):
    item = _item()
    sign_in_staff(client, make_staff("underwriter"))
    assert client.post(f"/servicing/suspense/{item.pk}/return/", {"reason": "x"}).status_code == 403
    client.logout()
    sign_in_staff(client, make_staff("cash_desk"))
    page = client.get("/servicing/suspense/", HTTP_ACCEPT_LANGUAGE="ru")
    assert PAYER in page.content.decode()
    done = client.post(f"/servicing/suspense/{item.pk}/return/", {"reason": "ошибочный перевод"}, follow=True)
    text = done.content.decode()
    assert done.status_code == 200 and "ошибочный перевод" in text
    assert SuspenseReturn.objects.get().requested_by.username.startswith("cash")
