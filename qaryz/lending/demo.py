"""Demo legal rule sets and the demo product (values marked unconfirmed in docs/lending.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import TextIO

from qaryz.lending.models import LegalRuleSet, Product
from qaryz.lending.products import ALLOCATION_ITEMS, save_product_version, save_rule_set

UNCONFIRMED = (
    "Reported, not confirmed against the official text: effective-rate cap 46 % from 16.06.2025; "
    "penalty caps 0.5 %/day for 90 days, then 0.03 %/day, at most 10 % of the loan a year; "
    "debt-burden limit 0.5 (0.25 after a delay over 90 days in 12 months, from 24.11.2025) and its "
    "application to MFOs; the MCI value; the 24-hour disbursement delay with additional consent."
)
BASIS = (
    "Law on microfinance activity; NBRK Rules No. 217 (as amended); ARDFM Board Resolution No. 51 of "
    "28.08.2025; maximum microcredit 20 000 MCI (two secondary sources). See DOMAIN.md."
)

COMMON = {
    "legal_basis": BASIS,
    "unconfirmed": UNCONFIRMED,
    "max_effective_rate_percent": D("46"),
    "short_loan_max_days": 45,
    "short_loan_max_mci": D("50"),
    "short_loan_max_daily_rate_percent": D("0.3"),
    "penalty_max_daily_percent": D("0.5"),
    "penalty_high_days": 90,
    "penalty_after_daily_percent": D("0.03"),
    "penalty_max_annual_percent": D("10"),
    "max_amount_mci": D("20000"),
    "cooling_off_hours": 24,
    "additional_consent_required": True,
}

RULE_SETS = [
    {
        **COMMON,
        "code": "KZ-2025-06",
        "title": "Caps from 16.06.2025 (demo, unconfirmed)",
        "effective_from": dt.date(2025, 6, 16),
        "mci_value": D("3932"),
        "debt_burden_limit": D("0.5"),
        "debt_burden_limit_overdue": D("0.5"),
    },
    {
        **COMMON,
        "code": "KZ-2026-01",
        "title": "Caps from 01.01.2026 (demo, unconfirmed)",
        "effective_from": dt.date(2026, 1, 1),
        "mci_value": D("4325"),
        "debt_burden_limit": D("0.5"),
        "debt_burden_limit_overdue": D("0.25"),
    },
]

DEMO_PRODUCT = {
    "name": "Онлайн-микрокредит",
    "is_active": True,
    "client_kinds": ["individual", "entrepreneur"],
    "min_amount": D("20000"),
    "max_amount": D("1500000"),
    "min_term_months": 3,
    "max_term_months": 24,
    "nominal_rate_percent": D("32"),
    "fees": [
        {
            "name": "Комиссия за выдачу",
            "kind": "one_off",
            "amount": "0",
            "percent": "0.5",
            "timing": "disbursement",
        }
    ],
    "penalty_daily_percent": D("0.5"),
    "penalty_after_days": 90,
    "penalty_after_daily_percent": D("0.03"),
    "allowed_methods": ["annuity", "differentiated"],
    "day_count": "actual/365",
    "allocation_order": ALLOCATION_ITEMS,
    "disbursement_methods": ["bank_account", "card", "cash_desk", "cash_terminal", "merchant"],
    "rules_text": (
        "Правила предоставления микрокредитов ТОО «МФО «Qaryz Demo» (демо): микрокредит выдаётся "
        "гражданам Республики Казахстан и ИП, прошедшим идентификацию, на срок от 3 до 24 месяцев; "
        "ставка вознаграждения и ГЭСВ указываются до подписания договора; досрочное погашение без штрафов."
    ),
}


def load_demo(out: TextIO) -> None:
    for data in RULE_SETS:
        if not LegalRuleSet.objects.filter(code=data["code"]).exists():
            save_rule_set(data)
            out.write(f"Legal rule set {data['code']}: created\n")
    if not Product.objects.filter(code="online").exists():
        save_product_version("online", DEMO_PRODUCT)
        out.write("Product online v1: created\n")
