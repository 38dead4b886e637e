"""Contract signing: a fresh biometric identification AND the EDS (R-SIGN-1), evidence kept."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from decimal import Decimal as D

import pytest
from django.utils import timezone

from qaryz.biometrics.models import LivenessSession, Verification
from qaryz.lending import services
from qaryz.lending.models import Contract
from qaryz.lending.tests.factories import make_client
from qaryz.signatures.models import SigningRequest
from qaryz.signatures.services import submit_signature
from qaryz.signatures.tests.conftest import GOOD_IIN

pytestmark = [pytest.mark.django_db, pytest.mark.req("R-SIGN-1")]


def approved(lending_setup, **client):
    app = services.create_application(make_client(**client), lending_setup, D("300000"), 12, "annuity")
    for key in services.ACK_KEYS:
        services.acknowledge(app, key)
    services.choose_disbursement(app, "bank_account", iban="KZ86125KZT5004100100")
    services.submit(app, monthly_income=D("700000"), bureau_consent=True)
    app.refresh_from_db()
    assert app.status == "approved"
    return app


def passed_biometrics(client, purpose="contract_signing") -> Verification:
    """A passed verification as the biometrics room records it (its pipeline is tested there)."""
    session = LivenessSession.objects.create(
        client=client,
        purpose=purpose,
        challenges=f"left,right,{secrets.token_hex(3)}",
        nonce=secrets.token_hex(16),
        baseline_ms=800,
        step_ms=1200,
        status="passed",
        expires_at=timezone.now() + dt.timedelta(minutes=5),
    )
    return Verification.objects.create(
        client=client,
        purpose=purpose,
        session=session,
        provider="embedded",
        passed=True,
        similarity_document=97.0,
        threshold=95.0,
    )


def test_signing_needs_fresh_biometrics_and_an_accepted_eds(lending_setup, eds_settings):
    app = approved(lending_setup, iin=GOOD_IIN, surname="Сапаров", given_name="Аскар", patronymic="")
    contract = services.prepare_contract(app)
    request_id = services.start_signing(contract)
    signing_request = SigningRequest.objects.get(pk=request_id)
    assert signing_request.document_sha256 == contract.pdf_sha256  # the exact PDF is what is signed
    with pytest.raises(services.FlowError) as exc:
        services.complete_signing(contract)
    assert exc.value.field == "biometrics"
    wrong_purpose = passed_biometrics(app.client, purpose="registration")
    with pytest.raises(services.FlowError):
        services.complete_signing(contract)
    verification = passed_biometrics(app.client)
    with pytest.raises(services.FlowError) as exc:
        services.complete_signing(contract)
    assert exc.value.field == "eds"
    cms = eds_settings.pki.sign(eds_settings.good.label, bytes(signing_request.payload))
    accepted = submit_signature(signing_request, app.client, base64.b64encode(cms).decode())
    assert accepted.accepted, accepted.reason
    services.complete_signing(contract)
    contract.refresh_from_db()
    app.refresh_from_db()
    verification.refresh_from_db()
    wrong_purpose.refresh_from_db()
    assert contract.status == Contract.Status.SIGNED and app.status == "signed" and app.signed_at
    assert contract.signature_evidence == {
        "biometric_verification": str(verification.pk),
        "signing_request": str(signing_request.pk),
        "signature_verification": str(accepted.pk),
    }
    assert verification.consumed_at is not None and wrong_purpose.consumed_at is None  # single use
    with pytest.raises(services.FlowError):
        services.complete_signing(contract)


def test_individual_entrepreneur_signs_with_biometrics_only(lending_setup):
    app = approved(lending_setup, kind="entrepreneur")
    contract = services.prepare_contract(app)
    assert services.start_signing(contract) == ""
    with pytest.raises(services.FlowError):
        services.complete_signing(contract)
    passed_biometrics(app.client)
    services.complete_signing(contract)
    contract.refresh_from_db()
    assert contract.status == "signed" and "signing_request" not in contract.signature_evidence
