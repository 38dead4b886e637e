"""Loans in the client's servicing states: payout, refund, restructuring (issue 15)."""

from __future__ import annotations

# Two more borrowers like the servicing demo's (individual entrepreneurs, business loans signed
# through the lending room's real path), each paid out to an account of their own (the antifraud
# rules hold an account several clients name, and a client's third application within the hour).
REPAYING = {
    "phone": "+77010000021",
    "iin_base": "8603214000",
    "surname": "Бекова",
    "given_name": "Динара",
    "amount": "300000",
    "term": 12,
    "days_ago": 45,
    "story": "active",
    "iban": "KZ04125KZT5004100121",
}
SIGNED = {
    **REPAYING,
    "phone": "+77010000022",
    "iin_base": "9107125000",
    "surname": "Ахметов",
    "given_name": "Ерлан",
    "iban": "KZ74125KZT5004100122",
}
OVERPAID = 12_345_00  # tiyn paid beyond what is owed: the advance the client may ask back


def cabinet() -> None:
    """A loan being repaid with an overpayment to refund and a new schedule awaiting signature,
    and, of the same borrower, a signed loan past the cooling-off whose payout the client asks for;
    another borrower's just-signed loan awaiting the additional consent. Made by the servicing
    demo's path: the payout booked on its past value date, the days closed by the close of business."""
    import datetime as dt
    import io

    from django.utils import timezone

    from qaryz.lending.models import Application
    from qaryz.servicing import demo, payouts, repayments, restructuring
    from qaryz.servicing.models import Loan

    out, today = io.StringIO(), timezone.localdate()
    client = demo._client(REPAYING)
    # the first instalment paid on time, more paid today than owed, then a new term asked for
    repaying = demo._signed_loan(client, REPAYING)
    repaying = demo._disburse_in_the_past(repaying, today - dt.timedelta(days=REPAYING["days_ago"]))
    demo._live(repaying, REPAYING, out)
    repayments.post_payment(
        repaying,
        channel="bank",
        payer_reference=f"hostile-{repaying.number}",
        amount_tiyn=OVERPAID,
        value_date=today,
    )
    repaying.refresh_from_db()
    restructuring.propose_restructuring(repaying, kind="new_term", term_months=18, actor=client)

    # past the cooling-off (as if signed two days ago), the additional consent given
    ready = demo._signed_loan(client, REPAYING)
    Application.objects.filter(pk=ready.application_id).update(
        signed_at=ready.application.signed_at - dt.timedelta(days=2)
    )
    payouts.give_consent(Loan.objects.select_related("application").get(pk=ready.pk), actor=client)

    # just signed: the payout waits for the additional consent the demo rule set requires
    demo._signed_loan(demo._client(SIGNED), SIGNED)
