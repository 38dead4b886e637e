"""Application flow: drafting, disclosures, disbursement choice, checks, decision (R-CAB-1, R-CAB-4,
R-PRE-1..8)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.db import DatabaseError, transaction

from qaryz.compliance.models import Screening
from qaryz.compliance.services import review_screening
from qaryz.lending import services
from qaryz.lending.models import Application, ApplicationEvent, BureauReport, Decision
from qaryz.lending.tests.factories import make_client, make_iin

pytestmark = pytest.mark.django_db


def prepared(client, product, amount=D("300000"), term=12, method="annuity"):
    app = services.create_application(client, product, amount, term, method)
    for key in services.ACK_KEYS:
        services.acknowledge(app, key)
    services.choose_disbursement(app, "bank_account", iban="KZ86125KZT5004100100")
    return app


@pytest.mark.req(
    "R-CAB-1", "R-CAB-4", "R-PRE-2", "R-PRE-3", "R-PRE-4", "R-PRE-5", "R-PRE-6", "R-PRE-7", "R-PRE-8"
)
def test_clean_client_is_approved_with_offer_and_full_trail(lending_setup):
    client = make_client(iin=make_iin("900214", "3", 1))
    app = prepared(client, lending_setup)
    # The exact texts shown are stored with their hash.
    assert set(app.acknowledgements) == set(services.ACK_KEYS)
    assert all(len(v["sha256"]) == 64 for v in app.acknowledgements.values())
    services.submit(app, monthly_income=D("600000"), bureau_consent=True, idempotency_key="k-1")
    app.refresh_from_db()
    assert app.status == "approved", Decision.objects.get(application=app).rules
    assert app.rule_set.code == "KZ-2026-01" and app.product.version == 1
    assert app.effective_rate_percent == D(app.offer_schedule["effective_rate_percent"])
    assert len(app.offer_schedule["instalments"]) == 12
    statuses = list(ApplicationEvent.objects.filter(application=app).values_list("to_status", flat=True))
    assert statuses == ["draft", "submitted", "checks", "approved"]
    decision = Decision.objects.get(application=app)
    assert decision.outcome == "approve" and decision.automatic and decision.score >= 600
    assert {r["rule"] for r in decision.rules} >= {
        "aml",
        "voluntary_refusal",
        "overdue",
        "debt_burden",
        "score",
    }
    assert decision.inputs["rule_set"] == "KZ-2026-01" and decision.inputs["debt_burden"]
    report = BureauReport.objects.get(application=app)
    assert report.consent_at == app.bureau_consent_at and report.account == "demo-credit-officer"
    assert Screening.objects.get(context_id=str(app.pk)).result == "clear"
    # Submitting again with the same idempotency key changes nothing.
    assert (
        services.submit(app, monthly_income=D("1"), bureau_consent=True, idempotency_key="k-1").pk == app.pk
    )
    assert Decision.objects.filter(application=app).count() == 1


@pytest.mark.req("R-PRE-1", "R-AML-1")
def test_exact_iin_on_aml_list_is_refused(lending_setup):
    client = make_client(iin="870909370012")
    app = prepared(client, lending_setup)
    services.submit(app, monthly_income=D("600000"), bureau_consent=True)
    app.refresh_from_db()
    assert (app.status, app.decline_reason) == ("declined", "aml")


@pytest.mark.req("R-PRE-1", "R-AML-1")
def test_fuzzy_aml_hit_goes_to_review_then_officer_decides(lending_setup, django_user_model):
    client = make_client(
        iin="750101370025", surname="Жалғасбеков", given_name="Демобек", patronymic="Тестұлы"
    )
    app = prepared(client, lending_setup)
    services.submit(app, monthly_income=D("600000"), bureau_consent=True)
    app.refresh_from_db()
    assert app.status == "review"
    officer = django_user_model.objects.create_user("officer", password="Officer-Pass-2026")
    review_screening(
        Screening.objects.get(client=client), confirmed=False, officer=officer, note="different person"
    )
    services.manual_decision(app, officer=officer, approve=True, note="AML false positive")
    app.refresh_from_db()
    assert app.status == "approved" and app.offer_schedule
    assert Decision.objects.filter(application=app, automatic=False, decided_by=officer).exists()


@pytest.mark.req("R-PRE-8")
def test_voluntary_refusal_forces_refusal(lending_setup):
    client = make_client(iin=make_iin("850315", "3", 9001))
    app = prepared(client, lending_setup)
    services.submit(app, monthly_income=D("900000"), bureau_consent=True)
    app.refresh_from_db()
    assert (app.status, app.decline_reason) == ("declined", "voluntary_refusal")


@pytest.mark.req("R-PRE-8")
@pytest.mark.parametrize(
    ("serial", "income", "status", "reason"),
    [
        (9101, "900000", "declined", "overdue"),
        (9201, "900000", "declined", "debt_burden"),
        (9301, "900000", "review", ""),
        (1, "40000", "declined", "debt_burden"),
    ],
)
def test_bureau_flags_and_debt_burden(lending_setup, serial, income, status, reason):
    client = make_client(iin=make_iin("880720", "3", serial))
    app = prepared(client, lending_setup)
    services.submit(app, monthly_income=D(income), bureau_consent=True)
    app.refresh_from_db()
    assert (app.status, app.decline_reason) == (status, reason), Decision.objects.get(application=app).rules


@pytest.mark.req("R-CAB-1")
def test_submit_requires_every_acknowledgement_consent_and_disbursement(lending_setup):
    client = make_client()
    app = services.create_application(client, lending_setup, D("300000"), 12, "annuity")
    with pytest.raises(services.FlowError) as exc:
        services.submit(app, monthly_income=D("500000"), bureau_consent=True)
    assert exc.value.field == "rules"
    for key in services.ACK_KEYS:
        services.acknowledge(app, key)
    with pytest.raises(services.FlowError) as exc:
        services.submit(app, monthly_income=D("500000"), bureau_consent=True)
    assert exc.value.field == "disbursement_method"
    with pytest.raises(services.FlowError) as exc:
        services.choose_disbursement(app, "bank_account", iban="KZ00125KZT5004100100")
    assert exc.value.field == "iban"
    services.choose_disbursement(app, "card", card="4111 1111 1111 1111")
    assert app.payout_card_masked == "4111 11** **** 1111"
    with pytest.raises(services.FlowError) as exc:
        services.submit(app, monthly_income=D("500000"), bureau_consent=False)
    assert exc.value.field == "bureau_consent"


def test_terms_outside_product_or_caps_are_refused(lending_setup):
    client = make_client()
    with pytest.raises(services.FlowError) as exc:
        services.create_application(client, lending_setup, D("5000"), 12, "annuity")
    assert exc.value.field == "amount"
    with pytest.raises(services.FlowError) as exc:
        services.create_application(client, lending_setup, D("50000"), 60, "annuity")
    assert exc.value.field == "term_months"
    unconfirmed = make_client(status="registered")
    with pytest.raises(services.FlowError):
        services.create_application(unconfirmed, lending_setup, D("50000"), 12, "annuity")


@pytest.mark.req("R-CAB-4")
def test_database_refuses_a_status_jump(lending_setup):
    client = make_client()
    app = services.create_application(client, lending_setup, D("300000"), 12, "annuity")
    with pytest.raises(DatabaseError), transaction.atomic():
        Application.objects.filter(pk=app.pk).update(status="approved")
    with pytest.raises(services.FlowError):
        services._transition(app, "signed")
