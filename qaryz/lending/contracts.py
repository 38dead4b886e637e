"""Contract PDF from a versioned template (qaryz/lending/contract_templates/<version>.json) in
Russian or Kazakh (R-CAB-3), with the schedule, the effective rate and the rule-set reference;
amendments (supplementary agreements) from the same template version's ``amendment`` section.

Needs a TrueType font with Cyrillic and Kazakh glyphs: DejaVu Sans from Debian's
``fonts-dejavu-core`` (scripts/system-packages.txt), path configurable (QARYZ_LENDING_PDF_FONT).
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from fpdf import FPDF

from qaryz.core.selectors import current_mfo_profile
from qaryz.core.templatetags.bidi import without_bidi_controls
from qaryz.lending.models import Application, ContractAmendment, DisbursementMethod, LegalRuleSet, Product

TEMPLATES = Path(__file__).parent / "contract_templates"
LANGUAGES = ("ru", "kk")


@lru_cache(maxsize=8)
def template(version: str) -> dict:
    path = TEMPLATES / f"{version}.json"
    if path.parent != TEMPLATES or not path.exists():
        raise FileNotFoundError(f"contract template {version!r} not found")
    return json.loads(path.read_text(encoding="utf-8"))


def _money(value: object) -> str:
    return f"{Decimal(str(value)):,.2f}".replace(",", " ") + " KZT"


def _method_label(method: str, language: str) -> str:
    with translation.override(language):
        return _(method)


def _penalty(product: Product, language: str) -> str:
    unit = "%/день" if language == "ru" else "%/күн"
    return (
        f"{product.penalty_daily_percent.normalize()} {unit}→{product.penalty_after_days}→"
        f"{product.penalty_after_daily_percent.normalize()} {unit}"
    )


def _common_values(app: Application, rule_set: LegalRuleSet, schedule: dict, language: str) -> dict:
    product = app.product
    profile = current_mfo_profile()
    return {
        "date": timezone.localdate().strftime("%d.%m.%Y"),
        "mfo": getattr(profile, "legal_name", "") or settings.MFO_NAME,
        "client": without_bidi_controls(app.client.display_name),
        "iin": app.client.iin or app.client.bin or "",
        "amount": _money(app.amount),
        "rate": product.nominal_rate_percent.normalize(),
        "basis": product.day_count,
        "penalty": _penalty(product, language),
        "allocation": " → ".join(product.allocation_order),
        "rule_set": rule_set.code,
        "rule_set_date": rule_set.effective_from.strftime("%d.%m.%Y"),
        "product": f"{product.code} v{product.version}",
        "total": _money(schedule.get("totals", {}).get("payable", "0")),
    }


def _pdf(texts: dict, values: dict, schedule: dict) -> bytes:
    """Title, clauses, then the schedule (appendix 1) and the total: the shape of every document."""
    pdf = FPDF(format="A4")
    pdf.set_creation_date(timezone.now())
    pdf.set_title(texts["title"].format(**values))
    pdf.add_font("DejaVu", "", settings.LENDING_PDF_FONT)
    pdf.add_font("DejaVu", "B", settings.LENDING_PDF_FONT_BOLD)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 12)
    pdf.multi_cell(0, 7, texts["title"].format(**values), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.cell(0, 6, texts["place_date"].format(**values), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for clause in texts["clauses"]:
        pdf.multi_cell(0, 5, clause.format(**values), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(0, 7, texts["schedule_title"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 8)
    widths = [10, 22, 28, 26, 22, 28, 30]
    for title, width in zip(texts["columns"], widths, strict=True):
        pdf.cell(width, 6, title, border=1)
    pdf.ln()
    for row in schedule.get("instalments", []):
        cells = [
            str(row["number"]),
            row["due_date"],
            row["principal"],
            row["interest"],
            row["fee"],
            row["total"],
            row["remaining_principal"],
        ]
        for value, width in zip(cells, widths, strict=True):
            pdf.cell(width, 5, str(value), border=1, align="R")
        pdf.ln()
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 9)
    pdf.cell(0, 6, texts["total"].format(**values), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def render(app: Application, *, number: str, language: str, version: str) -> bytes:
    texts = template(version)[language]
    with translation.override(language):
        disbursement = (
            str(DisbursementMethod(app.disbursement_method).label) if app.disbursement_method else "-"
        )
    if app.payout_iban:
        disbursement += f" ({app.payout_iban})"
    elif app.payout_card_masked:
        disbursement += f" ({app.payout_card_masked})"
    elif app.merchant:
        disbursement += f" ({app.merchant})"
    values = {
        **_common_values(app, app.rule_set, app.offer_schedule, language),
        "number": number,
        "term": app.term_months,
        "method": _method_label(app.method, language),
        "effective_rate": app.effective_rate_percent,
        "disbursement": disbursement,
    }
    return _pdf(texts, values, app.offer_schedule)


def render_amendment(amendment: ContractAmendment, *, version: str) -> bytes:
    """The supplementary agreement: what changes, the new effective rate and the new schedule."""
    contract = amendment.contract
    app = contract.application
    language = amendment.language
    texts = template(version)[language]["amendment"]
    labels = texts["labels"]

    def shown(key: str, value: object) -> str:
        if key == "method":
            return _method_label(str(value), language)
        if key == "payment_day" and value is None:
            return labels["same_day"]
        return str(value)

    changes = "; ".join(
        f"{labels[key]}: {shown(key, old)} → {shown(key, new)}"
        for key, (old, new) in amendment.changes.items()
    )
    values = {
        **_common_values(app, amendment.rule_set, amendment.schedule, language),
        "number": contract.number,
        "contract_date": timezone.localtime(contract.created_at).strftime("%d.%m.%Y"),
        "amendment_number": amendment.number,
        "initiator": texts["initiator"][amendment.initiator],
        "changes": changes,
        "term": amendment.term_months,
        "method": _method_label(amendment.method, language),
        "effective_rate": amendment.effective_rate_percent,
        "previous_rate": amendment.previous_effective_rate_percent,
    }
    return _pdf(texts, values, amendment.schedule)
