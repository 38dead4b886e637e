"""What the client reads in the contract and the amendment PDFs (R-CAB-3, issue 11): the text is
extracted from the generated PDF and checked – the totals stated reconcile to the tiyn with the
schedule annex and the fees paid at disbursement, every schedule row is there, and no internal
code, ISO date, decimal-point amount or English sentence reaches a Russian or Kazakh reader."""

from __future__ import annotations

import datetime as dt
import os
import re
from decimal import Decimal as D
from pathlib import Path

import pytest

from qaryz.core.demo import DEMO_PROFILE
from qaryz.core.models import MfoProfile
from qaryz.core.money import format_money
from qaryz.lending import amendments, selectors, services
from qaryz.lending.products import ALLOCATION_ITEMS
from qaryz.lending.tests.factories import make_client, product
from qaryz.lending.tests.pdftext import pdf_text
from qaryz.lending.tests.test_amendments import EDS_CLIENT, eds_sign
from qaryz.lending.tests.test_signing import passed_biometrics

pytestmark = pytest.mark.django_db

# A one-off fee withheld at disbursement AND two monthly fees (of the principal, of the outstanding).
FEES = [
    {
        "name": "Комиссия за выдачу",
        "kind": "one_off",
        "amount": "1500",
        "percent": "0.5",
        "timing": "disbursement",
    },
    {"name": "Обслуживание", "kind": "monthly", "amount": "0", "percent": "0.1", "base": "principal"},
    {"name": "Ведение счёта", "kind": "monthly", "amount": "100", "percent": "0.05", "base": "outstanding"},
]
CODES = [
    *ALLOCATION_ITEMS,
    "actual/365",
    "actual/360",
    "30/360",
    "one_off",
    "monthly",
    "annuity",
    "differentiated",
    "first_instalment",
    "disbursement",
    "bank_account",
    "cash_desk",
    "outstanding",
    "%/день",
    "%/күн",
    "→",
    "None",
    "{",
]
MONEY = r"-?\d{1,3}(?: \d{3})*,\d{2} ₸"
ENGLISH = re.compile(r"\b(the|and|of|to|for|with|is|are|my|your|loan|contract|fee|schedule)\b", re.I)


def fee_product(lending_setup):
    # Larger minimum amount and term, lower rate: the fixed parts of the fees stay under the cap.
    return product(fees=FEES, min_amount=D("200000"), min_term_months=6, nominal_rate_percent=D("28"))


def approved(prod, language: str, **client):
    fields = {"preferred_language": language, **client}
    app = services.create_application(make_client(**fields), prod, D("300000"), 12, "annuity")
    for key in services.ACK_KEYS:
        services.acknowledge(app, key)
    services.choose_disbursement(app, "bank_account", iban="KZ86125KZT5004100100")
    services.submit(app, monthly_income=D("700000"), bureau_consent=True)
    app.refresh_from_db()
    assert app.status == "approved", app.status
    return app


def dump(name: str, pdf: bytes, text: str) -> None:
    """QARYZ_CONTRACT_DUMP=<dir>: keep the PDFs and their text to read them (pdftoppm, a viewer)."""
    folder = os.environ.get("QARYZ_CONTRACT_DUMP")
    if folder:
        Path(folder, f"{name}.pdf").write_bytes(pdf)
        Path(folder, f"{name}.txt").write_text(text, encoding="utf-8")


def spaced(text: str) -> str:
    return text.replace("\u00a0", " ")


def expected_totals(schedule: dict) -> dict[str, D]:
    """Computed here from the rows, independently of the renderer."""
    rows = schedule["instalments"]
    total = sum(D(r["principal"]) + D(r["interest"]) + D(r["fee"]) for r in rows)
    upfront = D(schedule["totals"]["upfront_fees"])
    return {
        "principal": sum(D(r["principal"]) for r in rows),
        "interest": sum(D(r["interest"]) for r in rows),
        "fee": sum(D(r["fee"]) for r in rows),
        "schedule_total": total,
        "upfront": upfront,
        "payable": total + upfront,
    }


def check_document(text: str, schedule: dict, language: str) -> None:
    money = lambda value: spaced(format_money(D(value), language))  # noqa: E731
    cell = lambda value: spaced(format_money(D(value), language, symbol=False))  # noqa: E731
    sums = expected_totals(schedule)
    assert sums["upfront"] > 0 and sums["fee"] > 0  # both kinds of fee are in this contract
    # The reconciliation the reader can do: schedule payments + fees at disbursement = total payable.
    equations = re.findall(rf"({MONEY}) \+ ({MONEY}) = ({MONEY})", text)
    assert equations, "the total payable is not reconciled in the text"
    amount = lambda s: D(s.replace(" ₸", "").replace(" ", "").replace(",", "."))  # noqa: E731
    for a, b, c in equations:
        assert amount(a) + amount(b) == amount(c)
        assert (amount(a), amount(b), amount(c)) == (sums["schedule_total"], sums["upfront"], sums["payable"])
    for key in ("payable", "schedule_total", "upfront", "principal", "interest"):
        assert money(sums[key]) in text, key
    # Every schedule row, in order, and the totals row.
    for row in schedule["instalments"]:
        due = dt.date.fromisoformat(row["due_date"]).strftime("%d.%m.%Y")
        line = " ".join(
            [str(row["number"]), due]
            + [cell(row[k]) for k in ("principal", "interest", "fee", "total", "remaining_principal")]
        )
        assert line in text, line
    totals_row = " ".join(cell(sums[k]) for k in ("principal", "interest", "fee", "schedule_total"))
    assert totals_row in text
    # Fees each with an amount: the one-off fee of 1 500 ₸ + 0.5 % of 300 000 ₸.
    assert money("3000") in text and "0,5 %" in text and "0,1 %" in text and "0,05 %" in text
    # No internal code, ISO date, decimal-point number or English sentence.
    for code in CODES:
        assert code not in text, code
    assert not re.search(r"\bKZT\b", text)  # the currency code (an IBAN holds "KZT" inside a word)
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)
    assert not re.search(r"(?<![\d.])\d+\.\d{1,2}(?![\d.])", text), re.search(
        r"(?<![\d.])\d+\.\d{1,2}(?![\d.])", text
    )
    assert not ENGLISH.search(text), ENGLISH.search(text)
    assert not re.search(r"\b[A-Za-z]{3,}(?: [A-Za-z]{2,}){2,}", text)


def expected_words(language: str) -> list[str]:
    if language == "ru":
        return [
            "Заёмщик",
            "ГЭСВ",
            "365 дней в году",
            "просроченный основной долг; 2) просроченное вознаграждение; 3) неустойка",
            "0,5 % от суммы просроченного платежа за каждый день просрочки",
            "не может превышать 10 % от суммы выданного микрокредита",
            "досрочно погасить микрокредит полностью или частично без уплаты неустойки",
            "10 (десяти) календарных дней",
            "30 (тридцати) календарных дней",
            "Агентство Республики Казахстан по регулированию и развитию финансового рынка",
            "подтверждение об отправке и (или) получении электронных документов",
            "законодательством Республики Казахстан",
            "биометрической идентификации и электронной цифровой подписи",
            "перечислением на банковский счёт Заёмщика KZ86125KZT5004100100",
            "удерживается МФО из суммы микрокредита",
        ]
    return [
        "Қарыз алушы",
        "ЖТСМ",
        "жылдағы 365 күн",
        "мерзімі өткен негізгі борыш; 2) мерзімі өткен сыйақы; 3) тұрақсыздық айыбы",
        "мерзімі өткен төлем сомасының 0,5 %",
        "берілген микрокредит сомасының 10 % аспауы",
        "мерзімінен бұрын өтеуге құқылы",
        "10 (он) күнтізбелік күн",
        "30 (отыз) күнтізбелік күн",
        "Қаржы нарығын реттеу және дамыту агенттігіне",
        "жіберілгені және (немесе) алынғаны туралы растау",
        "Қазақстан Республикасының заңнамасымен реттеледі",
        "биометриялық сәйкестендіру мен",
        "KZ86125KZT5004100100 банктік шотына аудару арқылы",
        "микрокредит сомасынан ұстап қалады",
    ]


@pytest.mark.req("R-CAB-3")
@pytest.mark.parametrize("language", ["ru", "kk"])
def test_contract_pdf_text_reconciles_and_reads_as_a_contract(lending_setup, language):
    MfoProfile.objects.create(**DEMO_PROFILE)
    app = approved(fee_product(lending_setup), language)
    contract = services.prepare_contract(app)
    assert contract.language == language
    text = pdf_text(selectors.document_pdf(contract))
    dump(f"contract-{language}", selectors.document_pdf(contract), text)
    check_document(text, app.offer_schedule, language)
    for phrase in expected_words(language):
        assert phrase in text, phrase
    # Parties' details from the MFO profile and the borrower.
    for value in (
        DEMO_PROFILE["bin"],
        DEMO_PROFILE["bank_account"],
        DEMO_PROFILE["bank_bic"],
        app.client.iin,
    ):
        assert value in text
    legal_name = DEMO_PROFILE["legal_name_kk" if language == "kk" else "legal_name"]
    assert spaced(legal_name) in text and app.client.phone in text
    assert app.client.address in text  # the registration address in the parties' details
    assert "Тестова Айгуль Маратовна" in text
    # The effective rate with a decimal comma, as stored on the application.
    assert f"{app.effective_rate_percent.normalize():f}".replace(".", ",") + " %" in text


@pytest.mark.req("R-CAB-3", "R-SIGN-1")
@pytest.mark.parametrize("language", ["ru", "kk"])
def test_amendment_pdf_text_reconciles_with_its_new_schedule(lending_setup, eds_settings, language):
    MfoProfile.objects.create(**DEMO_PROFILE)
    app = approved(fee_product(lending_setup), language, **EDS_CLIENT)
    contract = services.prepare_contract(app)
    eds_sign(eds_settings, services.start_signing(contract), app.client)
    passed_biometrics(app.client)
    services.complete_signing(contract)
    amendment = amendments.request_amendment(
        contract, term_months=18, method="differentiated", payment_day=10, language=language
    )
    text = pdf_text(selectors.document_pdf(amendment))
    dump(f"amendment-{language}", selectors.document_pdf(amendment), text)
    check_document(text, amendment.schedule, language)
    assert len(amendment.schedule["instalments"]) == 18
    if language == "ru":
        assert "срок микрокредита: было – 12 месяцев, стало – 18 месяцев" in text
        assert "метод погашения: было – аннуитетный, стало – дифференцированный" in text
        assert "10-е число каждого месяца" in text
    else:
        assert "микрокредит мерзімі: бұрын – 12 ай, енді – 18 ай" in text
        assert "өтеу әдісі: бұрын – аннуитеттік, енді – сараланған" in text
        assert "әр айдың 10-күні" in text
    previous = f"{amendment.previous_effective_rate_percent.normalize():f}".replace(".", ",")
    assert previous in text


def test_totals_that_do_not_reconcile_are_refused(lending_setup):
    from qaryz.lending.contracts import reconcile

    app = approved(fee_product(lending_setup), "ru")
    schedule = app.offer_schedule
    assert reconcile(schedule)["total_payable"] == expected_totals(schedule)["payable"]
    broken = {
        **schedule,
        "totals": {**schedule["totals"], "payable": str(D(schedule["totals"]["payable"]) + D("0.01"))},
    }
    with pytest.raises(ValueError, match="reconcile"):
        reconcile(broken)
