"""Contract PDF from a versioned template (qaryz/lending/contract_templates/<version>.json) in
Russian or Kazakh (R-CAB-3), with the schedule, the effective rate and the rule-set reference;
amendments (supplementary agreements) from the same template version's ``amendment`` section.

Template format 2 (``"format": 2``, from 2026-12): per language ``words`` (every code of the
product – allocation items, day-count basis, schedule method, disbursement method, fee kind – as
a phrase), ``contract`` and ``amendment`` (title, preamble, sections of clauses numbered by the
code, the schedule annex with a totals row). Amounts are ``format_money`` in the language
("1 000,50 ₸"), dates dd.mm.yyyy, percentages with a decimal comma. The totals stated reconcile to
the tiyn: total payable = the schedule's rows (principal + interest + fee) + the fees paid at
disbursement (``reconcile``). Format 1 (2026-11) is still rendered as it was.

Needs a TrueType font with Cyrillic and Kazakh glyphs: DejaVu Sans from Debian's
``fonts-dejavu-core`` (scripts/system-packages.txt), path configurable (QARYZ_LENDING_PDF_FONT).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from fpdf import FPDF

from qaryz.core.money import format_money
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
    profile = current_mfo_profile().in_language(language)
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
    if template(version).get("format") == 2:
        return _render_contract(app, number=number, language=language, version=version)
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
    if template(version).get("format") == 2:
        return _render_amendment(amendment, version=version)
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


# --- template format 2 (2026-12 and later) ------------------------------------------------------
HUNDRED = Decimal(100)
TIYN = Decimal("0.01")
# Annex table: number, date, principal, interest, fee, payment, remaining (mm; A4 minus 15 mm margins).
WIDTHS = (8, 24, 30, 30, 26, 37, 35)


class _Document(FPDF):
    """A4 with the document number and "page/pages" in the footer of every page."""

    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", "", 7)
        self.cell(0, 5, f"{self.footer_text}   {self.page_no()}/{{nb}}", align="R")


def _d(value: object) -> Decimal:
    return Decimal(str(value))


def _date(value: str | dt.date) -> str:
    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return day.strftime("%d.%m.%Y")


def _percent(value: object) -> str:
    """0.5 → "0,5", 32.0000 → "32": the decimal comma of ru/kk."""
    return f"{_d(value).normalize():f}".replace(".", ",")


def _count(n: int, forms: list[str]) -> str:
    """Russian plural forms (1 месяц, 2 месяца, 5 месяцев); Kazakh gives the same form thrice."""
    if n % 10 == 1 and n % 100 != 11:
        form = forms[0]
    elif 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        form = forms[1]
    else:
        form = forms[2]
    return f"{n} {form}"


def _schedule_start(schedule: dict) -> dt.date:
    first = schedule["instalments"][0]
    return dt.date.fromisoformat(first["due_date"]) - dt.timedelta(days=int(first["days"]))


def reconcile(schedule: dict) -> dict[str, Decimal]:
    """The annex's sums: every row's principal, interest, fee and payment, the fees paid at
    disbursement and the total payable (rows + fees at disbursement). Raises ValueError when the
    stored totals disagree with the rows by even a tiyn – a contract must never state both."""
    rows = schedule.get("instalments", [])
    sums = {
        key: sum((_d(row[key]) for row in rows), Decimal("0"))
        for key in ("principal", "interest", "fee", "total")
    }
    upfront = _d(schedule.get("totals", {}).get("upfront_fees", "0"))
    result = {
        "principal": sums["principal"],
        "interest": sums["interest"],
        "schedule_fees": sums["fee"],
        "schedule_total": sums["total"],
        "upfront": upfront,
        "fees_total": sums["fee"] + upfront,
        "total_payable": sums["total"] + upfront,
    }
    totals = schedule.get("totals", {})
    for key, stored in (
        ("principal", "principal"),
        ("interest", "interest"),
        ("fees_total", "fees"),
        ("total_payable", "payable"),
    ):
        if stored in totals and _d(totals[stored]) != result[key]:
            raise ValueError(f"schedule totals do not reconcile: {stored} {totals[stored]} != {result[key]}")
    if sums["principal"] + sums["interest"] + sums["fee"] != sums["total"]:
        raise ValueError("schedule rows do not add up")
    return result


def _fees_text(
    product: Product, principal: Decimal, schedule: dict, words: dict, language: str, net: str
) -> str:
    """Every fee of the product with its amount and when it is paid, one line each."""
    fb = words["fee_base"]
    rows = schedule.get("instalments", [])
    lines = []
    for fee in product.fees or []:
        kind = fee.get("kind", "one_off")
        fixed, percent = _d(fee.get("amount", "0")), _d(fee.get("percent", "0"))
        base_kind = "principal" if kind == "one_off" else fee.get("base", "principal")
        parts = []
        if fixed:
            parts.append(fb["fixed"].format(amount=format_money(fixed, language)))
        if percent:
            parts.append(fb[base_kind].format(percent=_percent(percent)))
        base = fb["join"].join(parts)
        if not base:
            continue  # a zero fee is no fee
        n = len(lines) + 1
        if kind == "one_off":
            value = (fixed + principal * percent / HUNDRED).quantize(TIYN, rounding=ROUND_HALF_UP)
            timing = fee.get("timing", "disbursement")
            key = "fee_one_off_disbursement" if timing == "disbursement" else "fee_one_off_first_instalment"
            lines.append(
                words[key].format(
                    n=n,
                    amount=format_money(value, language),
                    base=base,
                    net_amount=net,
                    first_date=_date(rows[0]["due_date"]) if rows else "",
                )
            )
        else:
            total = Decimal("0")
            outstanding = principal
            for row in rows:
                on = principal if base_kind == "principal" else outstanding
                total += (fixed + on * percent / HUNDRED).quantize(TIYN, rounding=ROUND_HALF_UP)
                outstanding = _d(row["remaining_principal"])
            lines.append(words["fee_monthly"].format(n=n, base=base, total=format_money(total, language)))
    return "\n".join(lines) if lines else words["no_fees"]


def _party_values(client: Any, words: dict, language: str) -> dict:
    profile = current_mfo_profile().in_language(language)  # Kazakh name and addresses in kk
    missing = words["not_given"]
    if profile.bank_account:
        bank = words["mfo_bank"].format(
            account=profile.bank_account, bank=profile.bank_name or missing, bic=profile.bank_bic or missing
        )
    else:
        bank = words["mfo_bank_none"]
    doc = ""
    if getattr(client, "id_doc_type", "") and getattr(client, "id_doc_number", ""):
        expiry = (
            words["id_doc_expiry"].format(date=_date(client.id_doc_expiry)) if client.id_doc_expiry else ""
        )
        doc = (
            words["id_doc_line"].format(
                doc_type=words["id_doc"].get(client.id_doc_type, missing),
                doc_number=client.id_doc_number,
                doc_expiry=expiry,
            )
            + "; "
        )
    is_entity = client.kind == client.Kind.LEGAL_ENTITY
    return {
        "mfo_name": profile.legal_name or settings.MFO_NAME,
        "mfo_bin": profile.bin or missing,
        "mfo_licence": f", {profile.licence}" if profile.licence else "",
        "mfo_head": profile.first_head_full_name or missing,
        "mfo_address": profile.legal_address or missing,
        "mfo_actual_address": profile.actual_address or profile.legal_address or missing,
        "mfo_phones": profile.phones or missing,
        "mfo_email": profile.email or missing,
        "mfo_website": profile.website or missing,
        "mfo_bank": bank,
        "client_name": client.display_name,
        "client_id_label": words["id_label"]["bin" if is_entity else "iin"],
        "client_id": client.id_number or missing,
        "client_doc": doc,
        "client_phone": client.phone or missing,
        # Template 2026-12-02 on: the registration address (an entity's legal address), or the
        # template's phrase saying the borrower has not given it (signing waits for it).
        "client_address_label": words.get("address_label_entity" if is_entity else "address_label", ""),
        "client_address": without_bidi_controls(getattr(client, "address", "") or "")
        or words.get("address_missing", missing),
    }


def _loan_values(
    *,
    product: Product,
    rule_set: LegalRuleSet,
    client: Any,
    amount: Decimal,
    schedule: dict,
    term_months: int,
    method: str,
    payment_day: int | None,
    effective_rate: object,
    allocation: list[str],
    words: dict,
    language: str,
) -> dict:
    from qaryz.lending.signing import eds_required

    money = lambda value: format_money(value, language)  # noqa: E731
    sums = reconcile(schedule)
    rows = schedule.get("instalments", [])
    net = money(_d(amount) - sums["upfront"])
    after = product.penalty_after_daily_percent
    penalty_after = (words["penalty_after"] if after else words["penalty_after_none"]).format(
        next_day=product.penalty_after_days + 1, after=_percent(after)
    )
    return {
        "date": timezone.localdate().strftime("%d.%m.%Y"),
        "amount": money(amount),
        "term": _count(term_months, words["months"]),
        "start_date": _date(_schedule_start(schedule)) if rows else "",
        "last_date": _date(rows[-1]["due_date"]) if rows else "",
        "instalments": len(rows),
        "rate": _percent(product.nominal_rate_percent),
        "day_count": words["day_count"][product.day_count],
        "method": words["method"][method],
        "payment_day": (
            words["payment_day"].format(day=payment_day) if payment_day else words["payment_day_same"]
        ),
        "effective_rate": _percent(effective_rate) if effective_rate is not None else words["not_given"],
        "fees": _fees_text(product, _d(amount), schedule, words, language, net),
        "principal": money(sums["principal"]),
        "interest": money(sums["interest"]),
        "schedule_fees": money(sums["schedule_fees"]),
        "schedule_total": money(sums["schedule_total"]),
        "upfront_total": money(sums["upfront"]),
        "fees_total": money(sums["fees_total"]),
        "total_payable": money(sums["total_payable"]),
        "net_amount": net,
        "allocation": "; ".join(
            f"{i}) {words['allocation'][item]}" for i, item in enumerate(allocation, start=1)
        ),
        "penalty_rate": _percent(product.penalty_daily_percent),
        "penalty_days": product.penalty_after_days,
        "penalty_after": penalty_after,
        "penalty_annual": _percent(rule_set.penalty_max_annual_percent),
        "cooling_off": _count(rule_set.cooling_off_hours, words["hours"]),
        "rule_set_date": rule_set.effective_from.strftime("%d.%m.%Y"),
        "product_name": product.name,
        "language_name": words["language_name"],
        "signing": words["eds"] if eds_required(client) else words["no_eds"],
        **_party_values(client, words, language),
    }


def _clauses(doc: dict, values: dict, flags: set[str]) -> list[tuple[str, str]]:
    """(kind, text) in order: "heading", "clause" (numbered section.n), "plain"."""
    out: list[tuple[str, str]] = []
    for s_number, section in enumerate(doc["sections"], start=1):
        out.append(("heading", f"{s_number}. {section['heading'].format(**values)}"))
        c_number = 0
        for clause in section["clauses"]:
            item = clause if isinstance(clause, dict) else {"text": clause}
            if "if" in item and item["if"] not in flags:
                continue
            text = item["text"].format(**values)
            if item.get("plain"):
                out.append(("plain", text))
            else:
                c_number += 1
                out.append(("clause", f"{s_number}.{c_number}. {text}"))
    return out


def _pdf2(doc: dict, values: dict, flags: set[str], schedule: dict, language: str) -> bytes:
    pdf = _Document(format="A4")
    pdf.footer_text = doc["title"].format(**values)
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=16)
    pdf.set_creation_date(timezone.now())
    pdf.set_title(doc["title"].format(**values))
    pdf.add_font("DejaVu", "", settings.LENDING_PDF_FONT)
    pdf.add_font("DejaVu", "B", settings.LENDING_PDF_FONT_BOLD)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 11)
    pdf.multi_cell(0, 6, doc["title"].format(**values), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_font("DejaVu", "", 9)
    pdf.cell(0, 6, doc["place_date"].format(**values), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.multi_cell(0, 4.6, doc["preamble"].format(**values), align="L", new_x="LMARGIN", new_y="NEXT")
    for kind, text in _clauses(doc, values, flags):
        if kind == "heading":
            pdf.ln(1.5)
            pdf.set_font("DejaVu", "B", 9.5)
            pdf.multi_cell(0, 5.5, text, new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("DejaVu", "", 9)
        else:
            if kind == "plain" and text.count("\n"):
                pdf.set_x(pdf.l_margin + 4)
            pdf.multi_cell(0, 4.6, text, align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(0.6)
    # Annex 1: the schedule, every row, with a totals row.
    annex = doc["annex"]
    money = lambda value: format_money(_d(value), language, symbol=False)  # noqa: E731
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 10)
    pdf.multi_cell(0, 6, annex["title"].format(**values), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(0, 6, annex["subtitle"].format(**values), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)

    def header() -> None:
        pdf.set_font("DejaVu", "B", 7.5)
        pdf.set_fill_color(235, 235, 235)
        for title, width in zip(annex["columns"], WIDTHS, strict=True):
            pdf.cell(width, 7, title, border=1, align="C", fill=True)
        pdf.ln()
        pdf.set_font("DejaVu", "", 8)

    header()
    rows = schedule.get("instalments", [])
    for row in rows:
        if pdf.will_page_break(5.5):
            pdf.add_page()
            header()
        cells = [
            str(row["number"]),
            _date(row["due_date"]),
            money(row["principal"]),
            money(row["interest"]),
            money(row["fee"]),
            money(row["total"]),
            money(row["remaining_principal"]),
        ]
        for i, (value, width) in enumerate(zip(cells, WIDTHS, strict=True)):
            pdf.cell(width, 5.5, value, border=1, align="C" if i < 2 else "R")
        pdf.ln()
    sums = reconcile(schedule)
    pdf.set_font("DejaVu", "B", 8)
    pdf.cell(WIDTHS[0] + WIDTHS[1], 6, annex["totals_row"], border=1, align="C")
    for key, width in zip(
        ("principal", "interest", "schedule_fees", "schedule_total"), WIDTHS[2:6], strict=True
    ):
        pdf.cell(width, 6, money(sums[key]), border=1, align="R")
    pdf.cell(WIDTHS[6], 6, "", border=1)
    pdf.ln(8)
    pdf.set_font("DejaVu", "", 9)
    for line in annex["after"]:
        pdf.multi_cell(0, 4.8, line.format(**values), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(0.6)
    return bytes(pdf.output())


def _flags(app: Application, rule_set: LegalRuleSet) -> set[str]:
    flags = set()
    if app.payout_iban or app.payout_card_masked:
        flags.add("payout_account")
    if rule_set.cooling_off_hours:
        flags.add("cooling_off")
    if rule_set.additional_consent_required:
        flags.add("consent")
    return flags


def _render_contract(app: Application, *, number: str, language: str, version: str) -> bytes:
    texts = template(version)[language]
    words = texts["words"]
    account = app.payout_iban or app.payout_card_masked or app.merchant
    values = {
        **_loan_values(
            product=app.product,
            rule_set=app.rule_set,
            client=app.client,
            amount=app.amount,
            schedule=app.offer_schedule,
            term_months=app.term_months,
            method=app.method,
            payment_day=None,
            effective_rate=app.effective_rate_percent,
            allocation=list(app.product.allocation_order),
            words=words,
            language=language,
        ),
        "number": number,
        "disbursement": words["disbursement"][app.disbursement_method or ""].format(account=account),
        "payout_account": f"IBAN {app.payout_iban}" if app.payout_iban else app.payout_card_masked,
    }
    return _pdf2(texts["contract"], values, _flags(app, app.rule_set), app.offer_schedule, language)


def _render_amendment(amendment: ContractAmendment, *, version: str) -> bytes:
    contract = amendment.contract
    app = contract.application
    language = amendment.language
    texts = template(version)[language]
    words, doc = texts["words"], texts["amendment"]

    def shown(key: str, value: object) -> str:
        if key == "term_months":
            return _count(int(value), words["months"])
        if key == "method":
            return words["method_short"][str(value)]
        if key == "payment_day":
            return words["payment_day"].format(day=value) if value else words["payment_day_same"]
        return str(value)

    changes = "; ".join(
        doc["change_format"].format(label=doc["labels"][key], old=shown(key, old), new=shown(key, new))
        for key, (old, new) in amendment.changes.items()
    )
    values = {
        **_loan_values(
            product=app.product,
            rule_set=amendment.rule_set,
            client=app.client,
            amount=app.amount,
            schedule=amendment.schedule,
            term_months=amendment.term_months,
            method=amendment.method,
            payment_day=amendment.payment_day,
            effective_rate=amendment.effective_rate_percent,
            allocation=list(contract.allocation_order or app.product.allocation_order),
            words=words,
            language=language,
        ),
        "number": contract.number,
        "contract_date": timezone.localtime(contract.created_at).strftime("%d.%m.%Y"),
        "amendment_number": amendment.number,
        "initiator": doc["initiator"][amendment.initiator],
        "changes": changes,
        "previous_rate": (
            _percent(amendment.previous_effective_rate_percent)
            if amendment.previous_effective_rate_percent is not None
            else words["not_given"]
        ),
    }
    return _pdf2(doc, values, set(), amendment.schedule, language)
