"""Texts the client reads and acknowledges before submitting (R-PRE-2..5), built from the
application's product version, rule set and draft schedules, in the client's language. The same
function renders the page and the copy stored in the vault, so what is stored is what was shown."""

from __future__ import annotations

from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext as _

from qaryz.lending.models import Application
from qaryz.lending.products import offers


def day_count_label(code: str) -> str:
    """The interest day-count basis in words (never its code, e.g. ``actual/365``)."""
    labels = {
        "actual/365": _("a 365-day year"),
        "actual/360": _("a 360-day year"),
        "30/360": _("30-day months"),
    }
    return labels.get(code.lower(), code)


def allocation_label(item: str) -> str:
    """The words for a repayment allocation item (never its code name)."""
    labels = {
        "overdue_principal": _("overdue principal"),
        "overdue_interest": _("overdue interest"),
        "penalty": _("penalty"),
        "current_interest": _("interest due"),
        "current_principal": _("principal due"),
        "fee": _("fees"),
    }
    return labels.get(item, item)


KEYS = ["rules", "payments", "schedules", "rights"]


def titles() -> dict[str, str]:
    return {
        "rules": _("The MFO's rules for providing microcredits"),
        "payments": _("All payments and transfers under the loan"),
        "schedules": _("Draft repayment schedules"),
        "rights": _("Your rights and obligations"),
    }


def _money(value: object) -> str:
    return f"{Decimal(str(value)):,.2f}".replace(",", " ") + " ₸"


def text(app: Application, key: str, language: str) -> str:
    with translation.override(language if language in ("ru", "kk", "en") else "ru"):
        return f"{titles()[key]}\n\n" + {
            "rules": _rules,
            "payments": _payments,
            "schedules": _schedules,
            "rights": _rights,
        }[key](app)


def _rules(app: Application) -> str:
    rs = app.rule_set
    lines = [
        app.product.rules_text,
        "",
        _("Product: %(name)s, version %(version)s.")
        % {"name": app.product.name, "version": app.product.version},
        _("Legal rule set %(code)s in force from %(date)s:")
        % {"code": rs.code, "date": rs.effective_from.strftime("%d.%m.%Y")},
        _("- maximum annual effective rate: %(rate)s %%;") % {"rate": rs.max_effective_rate_percent},
        _("- maximum microcredit: %(mci)s MCI (%(kzt)s);")
        % {"mci": rs.max_amount_mci, "kzt": _money(rs.max_amount_kzt)},
        _(
            "- penalty: at most %(high)s %% a day for %(days)s days, then %(low)s %% a day, at most %(year)s %% of the loan a year."
        )
        % {
            "high": rs.penalty_max_daily_percent,
            "days": rs.penalty_high_days,
            "low": rs.penalty_after_daily_percent,
            "year": rs.penalty_max_annual_percent,
        },
    ]
    return "\n".join(lines)


def _payments(app: Application) -> str:
    product = app.product
    lines = [
        _("Amount: %(amount)s for %(term)s months.")
        % {"amount": _money(app.amount), "term": app.term_months},
        _("Nominal rate: %(rate)s %% a year, interest on the actual days (%(basis)s).")
        % {"rate": product.nominal_rate_percent, "basis": day_count_label(product.day_count)},
    ]
    for fee in product.fees:
        kind = _("one-off") if fee.get("kind", "one_off") == "one_off" else _("monthly")
        lines.append(
            _('Fee "%(name)s" (%(kind)s): %(amount)s + %(percent)s %%.')
            % {
                "name": fee.get("name", ""),
                "kind": kind,
                "amount": _money(fee.get("amount", 0)),
                "percent": fee.get("percent", 0),
            }
        )
    if not product.fees:
        lines.append(_("No fees."))
    lines.append(
        _(
            "Penalty for late payment: %(high)s %% of the overdue amount a day for %(days)s days, then %(low)s %% a day."
        )
        % {
            "high": product.penalty_daily_percent,
            "days": product.penalty_after_days,
            "low": product.penalty_after_daily_percent,
        }
    )
    lines.append(
        _("Payments are applied in this order: %(order)s.")
        % {"order": ", ".join(allocation_label(item) for item in product.allocation_order)}
    )
    for offer in offers(product, app.amount, app.term_months):
        lines.append(
            _(
                "%(method)s: total to pay %(total)s, of which interest %(interest)s and fees %(fees)s; annual effective rate %(rate)s %%."
            )
            % {
                "method": _(offer["method"]),
                "total": _money(offer["totals"]["payable"]),
                "interest": _money(offer["totals"]["interest"]),
                "fees": _money(offer["totals"]["fees"]),
                "rate": offer["effective_rate_percent"],
            }
        )
    lines.append(
        _(
            "Disbursement and repayment by bank transfer carry no fee of the MFO; your bank may charge its own."
        )
    )
    return "\n".join(lines)


def _schedules(app: Application) -> str:
    lines = []
    annual_rate = _("annual effective rate")
    for offer in offers(app.product, app.amount, app.term_months):
        lines.append(f"{_(offer['method'])} — {annual_rate} {offer['effective_rate_percent']} %")
        for i in offer["instalments"]:
            lines.append(
                f"{i['number']:>3}  {i['due_date']:%d.%m.%Y}  {_money(i['principal'])}  {_money(i['interest'])}  "
                f"{_money(i['fee'])}  {_money(i['total'])}  {_money(i['remaining_principal'])}"
            )
        lines.append(_("Total: %(total)s") % {"total": _money(offer["totals"]["payable"])})
        lines.append("")
    return "\n".join(lines)


def _rights(app: Application) -> str:
    return "\n".join(
        [
            _("You may repay the loan early, in full or in part, without penalty."),
            _(
                "The MFO notifies you within 10 calendar days of a delay; within 30 days of it you may ask for changed terms."
            ),
            _(
                "You may complain to the MFO and to the financial regulator (ARDFM); disputes may go to court."
            ),
            _(
                "You must repay on the schedule's dates and tell the MFO of any change of your contact details."
            ),
            _("The MFO may not change the rate or fees to your disadvantage during the contract."),
        ]
    )
