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
