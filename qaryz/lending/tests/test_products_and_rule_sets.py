"""Products and legal rule sets: caps are configuration with effective dates (§10 law notes)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from qaryz.lending import demo
from qaryz.lending.admin import ProductForm
from qaryz.lending.models import TRANSITIONS, LegalRuleSet, Product
from qaryz.lending.products import (
    NoRuleSetInForce,
    offers,
    rule_set_in_force,
    save_product_version,
    save_rule_set,
    validate_product,
)
from qaryz.lending.tests.factories import product, rule_sets

pytestmark = [pytest.mark.django_db, pytest.mark.req("R-PRE-3")]


def test_rule_set_in_force_follows_effective_dates():
    rule_sets()
    assert rule_set_in_force(dt.date(2025, 12, 31)).code == "KZ-2025-06"
    assert rule_set_in_force(dt.date(2026, 1, 1)).code == "KZ-2026-01"
    with pytest.raises(NoRuleSetInForce):
        rule_set_in_force(dt.date(2024, 1, 1))
    assert rule_set_in_force(dt.date(2026, 5, 1)).max_amount_kzt == D("86500000.00")  # 20 000 MCI x 4 325


def test_product_breaking_the_effective_rate_cap_cannot_be_saved():
    rule_sets()
    with pytest.raises(ValidationError) as exc:
        save_product_version("greedy", {**demo.DEMO_PRODUCT, "nominal_rate_percent": D("45")})
    assert "nominal_rate_percent" in exc.value.message_dict
    assert "KZ-2026-01" in exc.value.message_dict["nominal_rate_percent"][0]
    assert not Product.objects.filter(code="greedy").exists()


def test_fees_count_towards_the_cap():
    rule_sets()
    # 32 % nominal passes alone; a 5 % one-off fee on a 3-month loan pushes the effective rate over 46 %.
    fees = [{"name": "issue", "kind": "one_off", "percent": "5"}]
    with pytest.raises(ValidationError) as exc:
        save_product_version("feeful", {**demo.DEMO_PRODUCT, "fees": fees})
    assert "nominal_rate_percent" in exc.value.message_dict


def test_amount_and_penalty_caps():
    rule_sets()
    with pytest.raises(ValidationError) as exc:
        save_product_version(
            "big",
            {**demo.DEMO_PRODUCT, "max_amount": D("90000000"), "penalty_daily_percent": D("0.7")},
        )
    assert {"max_amount", "penalty_daily_percent"} <= set(exc.value.message_dict)


def test_future_stricter_rule_set_blocks_new_products_and_filters_offers():
    rule_sets()
    p = product()
    today = dt.date.today()
    start = today + dt.timedelta(days=30)
    save_rule_set(
        {
            **demo.RULE_SETS[1],
            "code": "FUTURE-30",
            "effective_from": start,
            "max_effective_rate_percent": D("30"),
        }
    )
    # New versions must respect the scheduled cap too.
    with pytest.raises(ValidationError):
        validate_product(Product(code="online", **demo.DEMO_PRODUCT))
    # Offers today are shown; offers under the stricter future cap are never shown.
    assert {o["method"] for o in offers(p, D("300000"), 12, today)} == {"annuity", "differentiated"}
    assert offers(p, D("300000"), 12, start) == []


def test_offers_show_each_method_with_rate_and_rule_set():
    rule_sets()
    p = product()
    result = offers(p, D("300000"), 12, dt.date(2026, 3, 1))
    assert [o["method"] for o in result] == ["annuity", "differentiated"]
    for offer in result:
        assert offer["rule_set"] == "KZ-2026-01"
        assert D("32") < offer["effective_rate_percent"] <= D("46")


def test_new_version_supersedes_and_keeps_old():
    rule_sets()
    v1 = product()
    v2 = save_product_version("online", {**demo.DEMO_PRODUCT, "nominal_rate_percent": D("30")})
    v1.refresh_from_db()
    assert (v1.version, v2.version) == (1, 2)
    assert not v1.is_active and v2.is_active
    assert v1.nominal_rate_percent == D("32")


def test_admin_form_shows_cap_breach_on_the_field():
    rule_sets()
    data = {**demo.DEMO_PRODUCT, "code": "form"}
    data = {
        k: (v if not isinstance(v, (list, dict)) else __import__("json").dumps(v)) for k, v in data.items()
    }
    form = ProductForm(data={**data, "nominal_rate_percent": "60"})
    assert not form.is_valid()
    assert "nominal_rate_percent" in form.errors
    form = ProductForm(data=data)
    assert form.is_valid(), form.errors


def test_malformed_product_is_refused():
    rule_sets()
    with pytest.raises(ValidationError) as exc:
        save_product_version(
            "bad", {**demo.DEMO_PRODUCT, "allowed_methods": ["balloon"], "allocation_order": ["penalty"]}
        )
    assert {"allowed_methods", "allocation_order"} <= set(exc.value.message_dict)


def test_demo_is_idempotent():
    import io

    out = io.StringIO()
    demo.load_demo(out)
    demo.load_demo(out)
    assert LegalRuleSet.objects.count() == 2 and Product.objects.count() == 1


def test_migration_trigger_table_matches_model():
    from importlib import import_module

    frozen = import_module("qaryz.lending.migrations.0002_application_transition_trigger").TRANSITIONS
    assert {k: v for k, v in TRANSITIONS.items() if v} == frozen


@pytest.mark.req("R-PRE-3")
def test_short_loan_daily_cost_cap_is_enforced_for_loans_and_products():
    from qaryz.lending.caps import Caps, ProductTerms, loan_breaches, product_breaches
    from qaryz.lending.schedules import DayCount, Fee, LoanTerms, Method

    caps = Caps(
        max_effective_rate_percent=D("100000"),  # out of the way: only the short-loan cap is tested
        max_amount_kzt=D("1000000"),
        penalty_max_daily_percent=D("0.5"),
        penalty_high_days=90,
        penalty_after_daily_percent=D("0.03"),
        penalty_max_annual_percent=D("10"),
        short_loan_max_days=45,
        short_loan_max_amount_kzt=D("216250"),  # 50 MCI x 4 325
        short_loan_max_daily_rate_percent=D("0.3"),
    )
    start = dt.date(2026, 3, 2)  # first due date 2 April: 31 days

    def loan(amount, months, fee="0"):
        fees = (Fee("issue", amount=D(fee)),) if fee != "0" else ()
        return LoanTerms(D(amount), months, D("36"), Method.ANNUITY, start, fees=fees)

    # 36 % a year is about 0.1 % a day: fine. A 7 000 fee on 100 000 for 31 days adds ~0.23 %/day.
    assert loan_breaches(loan("100000", 1), caps) == []
    assert loan_breaches(loan("100000", 1, fee="6000"), caps) == []  # 0.292 %/day: just under
    breach = loan_breaches(loan("100000", 1, fee="7000"), caps)
    assert [b.field for b in breach] == ["short_loan"]
    assert breach[0].value > D("0.3")
    # Not a short loan: too large an amount, or longer than 45 days – the cap does not apply.
    assert loan_breaches(loan("300000", 1, fee="18000"), caps) == []
    assert loan_breaches(loan("100000", 2, fee="6000"), caps) == []

    product_terms = ProductTerms(
        min_amount=D("50000"),
        max_amount=D("500000"),
        min_term_months=1,
        max_term_months=6,
        nominal_rate_percent=D("36"),
        fees=(Fee("issue", amount=D("4000")),),  # fixed fee: worst on the smallest short loan
        methods=(Method.ANNUITY,),
        day_count=DayCount.ACT_365,
        penalty_daily_percent=D("0.5"),
        penalty_after_days=90,
        penalty_after_daily_percent=D("0.03"),
    )
    breaches = product_breaches(product_terms, caps, start=start)
    assert [b.message for b in breaches] == ["a short loan costs more per day than the cap"]
    without_fee = ProductTerms(**{**vars(product_terms), "fees": ()})
    assert product_breaches(without_fee, caps, start=start) == []
