"""Demo data of the servicing room: one registered partner merchant (R-DISB-3) whose account the
payout bank simulator knows (``PAYOUT_SIM_ACCOUNTS`` in demo mode). Idempotent."""

from __future__ import annotations

import datetime as dt
from typing import TextIO

from django.utils import timezone

from qaryz.servicing.models import Merchant

DEMO_MERCHANT = {
    "bin": "150140000012",
    "name": "ТОО «Дала Мебель»",
    "iban": "KZ156010000000123456",
    "contract_number": "ПД-2026/01",
}


def load_demo(out: TextIO) -> None:
    today = timezone.localdate()
    merchant, created = Merchant.objects.get_or_create(
        bin=DEMO_MERCHANT["bin"],
        defaults={
            **DEMO_MERCHANT,
            "contract_from": today - dt.timedelta(days=30),
            "contract_to": today.replace(year=today.year + 2),
        },
    )
    if created:
        out.write(f"partner merchant: {merchant.name} (BIN {merchant.bin}) – name it in an application\n")
