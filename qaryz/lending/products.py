"""Products and legal rule sets: which rule set is in force, cap checks, product versions, offers.

Part of the lending services (the only writers of these tables).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from qaryz.lending import previews
from qaryz.lending.caps import Breach, Caps, ProductTerms, loan_breaches, product_breaches
from qaryz.lending.models import LegalRuleSet, Product
from qaryz.lending.schedules import DayCount, LoanTerms, Method, build_schedule
from qaryz.records.services import record_event as audit

PRODUCT_FIELDS = [
    "name",
    "is_active",
    "client_kinds",
    "min_amount",
    "max_amount",
    "min_term_months",
    "max_term_months",
    "nominal_rate_percent",
    "fees",
    "penalty_daily_percent",
    "penalty_after_days",
    "penalty_after_daily_percent",
    "allowed_methods",
    "day_count",
    "allocation_order",
    "disbursement_methods",
    "rules_text",
]

ALLOCATION_ITEMS = [
    "overdue_principal",
    "overdue_interest",
    "penalty",
    "current_interest",
    "current_principal",
]


class NoRuleSetInForce(Exception):
    """No legal rule set covers the date: lending must stop rather than guess the caps."""


def rule_set_in_force(on: dt.date | None = None) -> LegalRuleSet:
    on = on or timezone.localdate()
    rule_set = LegalRuleSet.objects.filter(effective_from__lte=on).order_by("-effective_from").first()
    if rule_set is None:
        raise NoRuleSetInForce(on)
    return rule_set


def caps_of(rule_set: LegalRuleSet) -> Caps:
    return Caps(
        max_effective_rate_percent=rule_set.max_effective_rate_percent,
        max_amount_kzt=rule_set.max_amount_kzt,
        penalty_max_daily_percent=rule_set.penalty_max_daily_percent,
        penalty_high_days=rule_set.penalty_high_days,
        penalty_after_daily_percent=rule_set.penalty_after_daily_percent,
        penalty_max_annual_percent=rule_set.penalty_max_annual_percent,
        short_loan_max_days=rule_set.short_loan_max_days,
        short_loan_max_amount_kzt=(
            rule_set.short_loan_max_mci * rule_set.mci_value
            if rule_set.short_loan_max_mci is not None
            else None
        ),
        short_loan_max_daily_rate_percent=rule_set.short_loan_max_daily_rate_percent,
    )


def product_terms(product: Product) -> ProductTerms:
    return ProductTerms(
        min_amount=Decimal(product.min_amount),
        max_amount=Decimal(product.max_amount),
        min_term_months=product.min_term_months,
        max_term_months=product.max_term_months,
        nominal_rate_percent=Decimal(product.nominal_rate_percent),
        fees=previews.fees_from_dicts(product.fees),
        methods=[Method(m) for m in product.allowed_methods],
        day_count=DayCount(product.day_count),
        penalty_daily_percent=Decimal(product.penalty_daily_percent),
        penalty_after_days=product.penalty_after_days,
        penalty_after_daily_percent=Decimal(product.penalty_after_daily_percent),
    )


def _structure_errors(product: Product) -> dict[str, str]:
    errors: dict[str, str] = {}
    methods = product.allowed_methods or []
    if not methods or any(m not in {m.value for m in Method} for m in methods):
        errors["allowed_methods"] = _("Choose at least one schedule method: annuity, differentiated.")
    allowed_disb = {"cash_desk", "cash_terminal", "bank_account", "card", "merchant"}
    if not product.disbursement_methods or any(m not in allowed_disb for m in product.disbursement_methods):
        errors["disbursement_methods"] = _("Choose at least one known disbursement method.")
    if not product.client_kinds or any(
        k not in {"individual", "entrepreneur", "legal_entity"} for k in product.client_kinds
    ):
        errors["client_kinds"] = _("Choose at least one client type.")
    if sorted(product.allocation_order or []) != sorted(ALLOCATION_ITEMS):
        errors["allocation_order"] = _("The allocation order must list each of: %(items)s.") % {
            "items": ", ".join(ALLOCATION_ITEMS)
        }
    try:
        previews.fees_from_dicts(product.fees or [])
    except (ValueError, ArithmeticError, AttributeError):
        errors["fees"] = _("A fee is not valid: kind one_off/monthly, amount and percent as numbers.")
    return errors


def breach_message(breach: Breach, rule_set: LegalRuleSet) -> str:
    return _("%(what)s: %(value)s is over the limit %(limit)s of rule set %(rule_set)s.") % {
        "what": _(breach.message),
        "value": breach.value.quantize(Decimal("0.0001") if breach.value < 1 else Decimal("0.01")),
        "limit": breach.limit,
        "rule_set": str(rule_set),
    }


def validate_product(product: Product, on: dt.date | None = None) -> None:
    """Raises ValidationError (by field) when the product is malformed or would break the caps of
    the rule set in force or of any rule set already scheduled to come into force."""
    errors = _structure_errors(product)
    if errors:
        raise ValidationError(errors)
    on = on or timezone.localdate()
    try:
        rule_sets = [rule_set_in_force(on)]
    except NoRuleSetInForce:
        raise ValidationError(_("No legal rule set is in force: enter one before products.")) from None
    rule_sets += list(LegalRuleSet.objects.filter(effective_from__gt=on))
    for rule_set in rule_sets:
        start = max(on, rule_set.effective_from)
        breaches = product_breaches(
            product_terms(product), caps_of(rule_set), start=start, year_days=settings.LENDING_RATE_YEAR_DAYS
        )
        field_map = {"max_amount": "max_amount", "effective_rate": "nominal_rate_percent"}
        for breach in breaches:
            errors.setdefault(field_map.get(breach.field, breach.field), breach_message(breach, rule_set))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_product_version(code: str, data: dict[str, Any], *, actor: Any = None) -> Product:
    """A new version of product ``code`` (version 1 when new); earlier versions stop being offered.

    Versions referenced by applications and contracts are never edited (docs/lending.md).
    """
    latest = Product.objects.select_for_update().filter(code=code).aggregate(v=Max("version"))["v"] or 0
    product = Product(code=code, version=latest + 1, **{k: v for k, v in data.items() if k in PRODUCT_FIELDS})
    validate_product(product)
    product.full_clean(validate_constraints=True)
    product.save()
    if product.is_active:
        Product.objects.filter(code=code).exclude(pk=product.pk).update(is_active=False)
    audit(
        "lending.product_version_saved",
        actor=actor,
        target=product,
        data={"code": code, "version": product.version},
    )
    return product


@transaction.atomic
def save_rule_set(data: dict[str, Any], *, actor: Any = None) -> LegalRuleSet:
    rule_set = LegalRuleSet(**data)
    rule_set.full_clean()
    rule_set.save()
    audit(
        "lending.rule_set_saved",
        actor=actor,
        target=rule_set,
        data={"code": rule_set.code, "effective_from": rule_set.effective_from.isoformat()},
    )
    return rule_set


def current_products(client_kind: str | None = None) -> list[Product]:
    products = list(Product.objects.filter(is_active=True).order_by("code"))
    return [p for p in products if client_kind is None or client_kind in p.client_kinds]


def product_loan_terms(
    product: Product, amount: Decimal, term_months: int, method: str, start: dt.date
) -> LoanTerms:
    return LoanTerms(
        principal=Decimal(amount),
        term_months=term_months,
        annual_rate_percent=Decimal(product.nominal_rate_percent),
        method=Method(method),
        start_date=start,
        day_count=DayCount(product.day_count),
        fees=tuple(previews.fees_from_dicts(product.fees)),
        first_period_min_days=settings.LENDING_FIRST_PERIOD_MIN_DAYS,
    )


def term_errors(product: Product, amount: Decimal, term_months: int) -> dict[str, str]:
    """The product's own limits, in the words and money format of the current language."""
    from django.utils.translation import get_language

    from qaryz.core.money import format_money

    language = get_language() or "ru"
    errors = {}
    if not product.min_amount <= amount <= product.max_amount:
        errors["amount"] = _("The amount must be between %(min)s and %(max)s.") % {
            "min": format_money(product.min_amount, language),
            "max": format_money(product.max_amount, language),
        }
    if not product.min_term_months <= term_months <= product.max_term_months:
        errors["term_months"] = _("The term must be between %(min)s and %(max)s months.") % {
            "min": product.min_term_months,
            "max": product.max_term_months,
        }
    return errors


def offers(product: Product, amount: Decimal, term_months: int, start: dt.date | None = None) -> list[dict]:
    """Draft schedules of every allowed method that respects the caps in force on ``start``.

    An offer that would break a cap is never returned (the method is left out); an empty list
    means no lawful offer exists for these terms.
    """
    start = start or timezone.localdate()
    rule_set = rule_set_in_force(start)
    caps = caps_of(rule_set)
    result = []
    for method in product.allowed_methods:
        terms = product_loan_terms(product, amount, term_months, method, start)
        if loan_breaches(terms, caps, settings.LENDING_RATE_YEAR_DAYS):
            continue
        item = previews.schedule_dict(build_schedule(terms))
        item["rule_set"] = rule_set.code
        result.append(item)
    return result
