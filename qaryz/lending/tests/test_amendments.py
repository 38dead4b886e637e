"""Contract amendments follow the contract's path (R-SIGN-1, R-CAB-3): generated from the versioned
template in ru/kk with the new schedule and effective rate, checked against the caps, shown, signed
with fresh biometrics AND the EDS (biometrics only for an IE's business loan), kept in the vault."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from qaryz.access.testing import make_staff
from qaryz.lending import amendments, selectors, services
from qaryz.lending.models import ContractAmendment
from qaryz.lending.products import save_rule_set
from qaryz.lending.tests.pdftext import pdf_text
from qaryz.lending.tests.test_signing import approved, passed_biometrics
from qaryz.records.models import AuditEvent, StoredDocument
from qaryz.signatures.models import SigningRequest
from qaryz.signatures.services import submit_signature
from qaryz.signatures.tests.conftest import GOOD_IIN

pytestmark = pytest.mark.django_db

EDS_CLIENT = {"iin": GOOD_IIN, "surname": "Сапаров", "given_name": "Аскар", "patronymic": ""}


def eds_sign(eds_settings, request_id: str, client) -> object:
    signing_request = SigningRequest.objects.get(pk=request_id)
    cms = eds_settings.pki.sign(eds_settings.good.label, bytes(signing_request.payload))
    accepted = submit_signature(signing_request, client, base64.b64encode(cms).decode())
    assert accepted.accepted, accepted.reason
    return accepted


def signed_contract(lending_setup, eds_settings=None, **client):
    app = approved(lending_setup, **client)
    contract = services.prepare_contract(app)
    request_id = services.start_signing(contract)
    if request_id:
        eds_sign(eds_settings, request_id, app.client)
    passed_biometrics(app.client)
    services.complete_signing(contract)
    contract.refresh_from_db()
    assert contract.status == "signed"
    return contract


@pytest.mark.req("R-SIGN-1", "R-CAB-3")
def test_client_amendment_is_built_checked_shown_and_signed_with_biometrics_and_eds(
    lending_setup, eds_settings
):
    contract = signed_contract(lending_setup, eds_settings, **EDS_CLIENT)
    app = contract.application
    before = selectors.terms_in_force(contract)
    assert before["document"] == contract.number and before["term_months"] == 12
    amendment = amendments.request_amendment(
        contract, term_months=18, method="differentiated", payment_day=10, reason="salary day"
    )
    today = timezone.localdate()
    assert amendment.status == "draft" and amendment.number == f"{contract.number}-D1"
    assert amendment.changes == {
        "term_months": [12, 18],
        "method": ["annuity", "differentiated"],
        "payment_day": [None, 10],
    }
    instalments = amendment.schedule["instalments"]
    assert len(instalments) == 18 and all(dt.date.fromisoformat(i["due_date"]).day == 10 for i in instalments)
    assert (dt.date.fromisoformat(instalments[0]["due_date"]) - today).days >= 15
    assert amendment.start_date == amendments.schedule_start(app.offer_schedule)
    assert sum(Decimal(i["principal"]) for i in instalments) == app.amount
    assert amendment.effective_rate_percent != amendment.previous_effective_rate_percent
    assert amendment.previous_effective_rate_percent == app.effective_rate_percent
    assert (
        amendment.rule_set.code == "KZ-2026-01"
        and amendment.template_version == settings.LENDING_CONTRACT_TEMPLATE
    )
    pdf = selectors.document_pdf(amendment)
    assert pdf.startswith(b"%PDF-") and amendment.pdf_sha256 == hashlib.sha256(pdf).hexdigest()
    assert StoredDocument.objects.filter(pk=amendment.vault_document_id, kind="loan_amendment_draft").exists()
    assert selectors.terms_in_force(contract)["document"] == contract.number  # not binding before signing

    request_id = amendments.start_amendment_signing(amendment)
    signing_request = SigningRequest.objects.get(pk=request_id)
    assert signing_request.document_sha256 == amendment.pdf_sha256  # the exact PDF is what is signed
    with pytest.raises(services.FlowError) as exc:
        amendments.complete_amendment_signing(amendment)
    assert exc.value.field == "biometrics"
    verification = passed_biometrics(app.client)
    with pytest.raises(services.FlowError) as exc:
        amendments.complete_amendment_signing(amendment)
    assert exc.value.field == "eds"
    accepted = eds_sign(eds_settings, request_id, app.client)
    assert amendments.start_amendment_signing(amendment) == request_id  # signed request kept
    amendments.complete_amendment_signing(amendment)
    amendment.refresh_from_db()
    verification.refresh_from_db()
    assert amendment.status == "signed" and amendment.signed_at and verification.consumed_at
    assert amendment.signature_evidence == {
        "biometric_verification": str(verification.pk),
        "signing_request": request_id,
        "signature_verification": str(accepted.pk),
    }
    after = selectors.terms_in_force(contract)
    assert after["document"] == amendment.number and after["term_months"] == 18
    assert after["schedule"] == amendment.schedule
    assert StoredDocument.objects.filter(kind="loan_amendment_signing_evidence").count() == 1
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"lending.amendment_prepared", "lending.amendment_signed"} <= actions
    with pytest.raises(services.FlowError):
        amendments.complete_amendment_signing(amendment)  # not twice
    # The next amendment starts from the terms in force (the first amendment's).
    second = amendments.request_amendment(contract, term_months=18, method="annuity", payment_day=10)
    assert second.sequence == 2 and second.changes == {"method": ["differentiated", "annuity"]}
    assert second.previous_effective_rate_percent == amendment.effective_rate_percent


@pytest.mark.req("R-SIGN-1", "R-CAB-3")
@pytest.mark.parametrize("language", ["ru", "kk"])
def test_ie_amendment_in_client_language_signed_with_biometrics_only(lending_setup, language):
    contract = signed_contract(lending_setup, kind="entrepreneur", preferred_language=language)
    amendment = amendments.request_amendment(contract, term_months=6, method="annuity")
    assert amendment.language == language and len(pdf_text(selectors.document_pdf(amendment))) > 1000
    assert b"DejaVu" in selectors.document_pdf(amendment)
    assert amendments.start_amendment_signing(amendment) == ""
    with pytest.raises(services.FlowError):
        amendments.complete_amendment_signing(amendment)
    passed_biometrics(contract.application.client)
    amendments.complete_amendment_signing(amendment)
    assert amendment.status == "signed" and "signing_request" not in amendment.signature_evidence


@pytest.mark.req("R-SIGN-1")
def test_biometrics_from_before_the_amendment_do_not_count(lending_setup):
    contract = signed_contract(lending_setup, kind="entrepreneur")
    early = passed_biometrics(contract.application.client)
    early.created_at = timezone.now() - dt.timedelta(seconds=30)
    early.save(update_fields=["created_at"])
    amendment = amendments.request_amendment(contract, term_months=6, method="annuity")
    with pytest.raises(services.FlowError) as exc:
        amendments.complete_amendment_signing(amendment)
    assert exc.value.field == "biometrics"


def test_amendment_breaking_a_cap_is_refused_and_audited(lending_setup):
    contract = signed_contract(lending_setup, kind="entrepreneur")
    save_rule_set(
        {
            **_rule_set_fields(contract),
            "code": "KZ-TEST-LOW",
            "effective_from": timezone.localdate(),
            "max_effective_rate_percent": "30",
        }
    )
    with pytest.raises(services.FlowError, match="KZ-TEST-LOW"):
        amendments.request_amendment(contract, term_months=6, method="annuity")
    assert not ContractAmendment.objects.exists()
    assert AuditEvent.objects.filter(action="lending.amendment_refused").count() == 1


def _rule_set_fields(contract) -> dict:
    rule_set = contract.application.rule_set
    skip = {"id", "code", "effective_from", "created_at"}
    return {f.name: getattr(rule_set, f.name) for f in rule_set._meta.concrete_fields if f.name not in skip}


def test_draft_goes_out_of_date_when_the_rule_set_changes(lending_setup):
    contract = signed_contract(lending_setup, kind="entrepreneur")
    amendment = amendments.request_amendment(contract, term_months=6, method="annuity")
    save_rule_set(
        {**_rule_set_fields(contract), "code": "KZ-TEST-NEW", "effective_from": timezone.localdate()}
    )
    passed_biometrics(contract.application.client)
    with pytest.raises(services.FlowError, match="устарело|out of date"):
        amendments.complete_amendment_signing(amendment)


def test_one_draft_at_a_time_withdraw_and_invalid_requests(lending_setup):
    contract = signed_contract(lending_setup, kind="entrepreneur")
    first = amendments.request_amendment(contract, term_months=9, method="annuity")
    with pytest.raises(services.FlowError):
        amendments.request_amendment(contract, term_months=6, method="annuity")
    amendments.withdraw_amendment(first)
    first.refresh_from_db()
    assert first.status == "withdrawn" and first.withdrawn_at
    with pytest.raises(services.FlowError):
        amendments.withdraw_amendment(first)
    with pytest.raises(services.FlowError) as exc:
        amendments.request_amendment(contract, term_months=12, method="annuity")  # nothing changes
    assert exc.value.field == "term_months"
    with pytest.raises(services.FlowError) as exc:
        amendments.request_amendment(contract, term_months=30, method="annuity")  # product: 3..24
    assert exc.value.field == "term_months"
    with pytest.raises(services.FlowError) as exc:
        amendments.request_amendment(contract, term_months=9, method="balloon")
    assert exc.value.field == "method"
    second = amendments.request_amendment(contract, term_months=9, method="annuity", payment_day=31)
    assert second.sequence == 2 and second.number.endswith("-D2")


def test_unsigned_contract_cannot_be_amended(lending_setup):
    app = approved(lending_setup, kind="entrepreneur")
    contract = services.prepare_contract(app)
    with pytest.raises(services.FlowError):
        amendments.request_amendment(contract, term_months=6, method="annuity")


def test_after_the_first_due_date_the_amendment_waits_for_servicing(lending_setup):
    contract = signed_contract(lending_setup, kind="entrepreneur")
    first_due = amendments.first_due_date(contract.application.offer_schedule)
    moment = dt.datetime.combine(first_due, dt.time(12))
    with time_machine.travel(moment, tick=False), pytest.raises(services.FlowError, match="MFO|МФО"):
        amendments.request_amendment(contract, term_months=6, method="annuity")


@pytest.mark.req("R-SIGN-1")
def test_mfo_proposal_binds_only_when_the_client_signs(lending_setup):
    contract = signed_contract(lending_setup, kind="entrepreneur")
    with pytest.raises(services.FlowError):
        amendments.propose_amendment(contract, officer=None, term_months=18, method="annuity")
    officer = make_staff("underwriter")
    amendment = amendments.propose_amendment(
        contract, officer=officer, term_months=18, method="annuity", reason="lower instalments"
    )
    assert amendment.initiator == "mfo" and amendment.proposed_by == officer
    assert selectors.terms_in_force(contract)["term_months"] == 12
    passed_biometrics(contract.application.client)
    amendments.complete_amendment_signing(amendment)
    assert selectors.terms_in_force(contract)["term_months"] == 18


def expire(request_id: str) -> None:
    now = timezone.now()
    SigningRequest.objects.filter(pk=request_id).update(
        created_at=now - dt.timedelta(hours=1), expires_at=now - dt.timedelta(seconds=1)
    )


@pytest.mark.req("R-SIGN-1")
def test_expired_signing_request_is_replaced_not_reused(lending_setup, eds_settings):
    app = approved(lending_setup, **EDS_CLIENT)
    contract = services.prepare_contract(app)
    first = services.start_signing(contract)
    assert services.start_signing(contract) == first  # still open: kept
    expire(first)
    second = services.start_signing(contract)
    assert second != first and services.start_signing(contract) == second
    contract.refresh_from_db()
    assert contract.signing_request_id == second
    assert AuditEvent.objects.filter(action="lending.signing_request_replaced").count() == 1
    eds_sign(eds_settings, second, app.client)
    expire(second)
    assert services.start_signing(contract) == second  # signed before expiry: kept
    passed_biometrics(app.client)
    services.complete_signing(contract)
    contract.refresh_from_db()
    assert contract.signature_evidence["signing_request"] == second
