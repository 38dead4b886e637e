"""One open fraud-victim case for the demo (issue 12 part 3): a fourth demo borrower, Жумабаева
Гульнара, with a business loan paid out 40 days ago through the servicing demo's real path, and a
resolution recognising her as a victim received yesterday – registered, its suspension due within
3 working days, so that staff (user ``compliance``) can suspend it, resume it or record a verdict.
Her bank account is registered, so a refund after a verdict reaches the payout bank simulator."""

from __future__ import annotations

import datetime as dt
from typing import TextIO

from django.contrib.auth import get_user_model
from django.utils import timezone

from qaryz.clients.models import BankAccount
from qaryz.fraudcases import services
from qaryz.fraudcases.models import FraudCase
from qaryz.servicing.models import Loan

SPEC = {
    "phone": "+77010000014",
    "iin_base": "8807154000",
    "surname": "Жумабаева",
    "given_name": "Гульнара",
    "amount": "300000",
    "term": 12,
    "days_ago": 40,
    "story": "active",
}
IBAN = "KZ86125KZT5004100100"  # the demo applications' payout account
# A one-page PDF standing in for the scanned resolution.
SCAN = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def load_demo(out: TextIO) -> None:
    from qaryz.servicing import demo as servicing_demo

    client = servicing_demo._client(SPEC)
    existing = FraudCase.objects.filter(client=client).first()
    if existing is not None:
        out.write(f"demo fraud-victim case {existing.number}: {existing.get_status_display()}\n")
        return
    loan = Loan.objects.filter(client=client).first()
    if loan is None:
        loan = servicing_demo._signed_loan(client, SPEC)
        if loan is None:
            out.write("demo fraud-victim case: the demo loan was not approved, skipped\n")
            return
        loan = servicing_demo._disburse_in_the_past(
            loan, timezone.localdate() - dt.timedelta(days=SPEC["days_ago"])
        )
        servicing_demo._live(loan, SPEC, out)
        loan.refresh_from_db()
    if not BankAccount.objects.filter(client=client, is_current=True).exists():
        BankAccount.objects.create(client=client, kind=BankAccount.Kind.IBAN, value=IBAN)
    actor = get_user_model().objects.filter(username="compliance").first() or "demo"
    today = timezone.localdate()
    case = services.register_case(
        client=client,
        kind=FraudCase.Kind.VICTIM_RESOLUTION,
        received_on=today - dt.timedelta(days=1),
        document_date=today - dt.timedelta(days=3),
        authority="Управление полиции Алмалинского района г. Алматы, следователь Серикбаев А.",
        reference_number="251175030001234",
        summary="Заёмщица сообщила, что микрокредит оформлен третьим лицом с использованием её данных.",
        loans=[loan],
        documents=[
            services.Upload("postanovlenie-71.pdf", SCAN, "application/pdf", "Постановление (ст. 71 УПК РК)")
        ],
        actor=actor,
    )
    out.write(
        f"demo fraud-victim case {case.number} (loan {loan.number} of {client.display_name}): registered,"
        f" suspension due by {case.suspension_due:%d.%m.%Y} – back office user compliance → Fraud cases\n"
    )
