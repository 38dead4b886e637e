"""Back-office money queues: cash desk, payout approvals, collections requests and write-offs."""

from __future__ import annotations

OWN_IBAN = "KZ36125KZT7002000300"  # no other client's (valid check digits)


def staff() -> None:
    """Made after the clients' crawl (their loans' pages stay as the demo made them), each by the
    demo staff member whose job it is, so that another role is the checker the crawl signs in as:

    - a cash-desk loan waiting at the desk (the cashier's identification form);
    - a cash-desk loan the demo cashier identified, waiting for the accountant's second approval;
    - a loan in delay whose borrower asked for changed terms (the collections officer's answer)
      and whose write-off the collections officer proposed (the write-off approver's decision).
    """
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from qaryz.clients.models import Client
    from qaryz.collections import services as collections
    from qaryz.lending.products import current_products
    from qaryz.servicing import close_of_day, payouts
    from qaryz.servicing.tests.factories import active_loan
    from qaryz.servicing.tests.test_payout_cash_desk import cash_loan

    users = get_user_model().objects
    cashier, officer = users.get(username="cash_desk"), users.get(username="collections_officer")
    product = current_products(Client.Kind.ENTREPRENEUR)[0]

    # chosen at the desk in the application: the demo's shared IBAN is held by the antifraud rules
    cash_loan(product, disbursement="cash_desk")  # waits at the desk
    paid = cash_loan(product, disbursement="cash_desk")
    payouts.pay_cash(paid, cashier=cashier, doc_type="id_card", doc_number="043512789")

    today = timezone.localdate()
    # paid out 40 days ago to the borrower's own account; its first instalment fell due unpaid
    late = active_loan(product, today - dt.timedelta(days=40), iban=OWN_IBAN)
    close_of_day.run(today - dt.timedelta(days=1), send_notices=False)  # its delay notice is queued
    collections.request_changed_terms(late, wish="holiday", explanation="Болел, доход упал")
    collections.propose_write_off(late, reason="Заёмщик признан банкротом", maker=officer)
