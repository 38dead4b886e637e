"""Amendments in the cabinet and the mobile API, and contract signing through the API (R-SIGN-1,
R-CAB-3): shown before signing, signed with biometrics and EDS, viewable next to the contract."""

from __future__ import annotations

import json

import pytest

from qaryz.access.services import issue_api_token
from qaryz.access.testing import sign_in_client
from qaryz.lending import amendments, selectors, services
from qaryz.lending.models import ContractAmendment
from qaryz.lending.tests.factories import make_client
from qaryz.lending.tests.test_amendments import EDS_CLIENT, eds_sign, signed_contract
from qaryz.lending.tests.test_signing import approved, passed_biometrics

pytestmark = pytest.mark.django_db


@pytest.mark.req("R-SIGN-1", "R-CAB-3")
def test_cabinet_amendment_request_show_sign_and_list(client, lending_setup, eds_settings):
    contract = signed_contract(lending_setup, eds_settings, **EDS_CLIENT)
    app = contract.application
    sign_in_client(client, app.client)
    base = f"/lending/applications/{app.pk}/contract/"
    page = client.get(base).content.decode()
    assert 'id="amend-link"' in page and f"{base}amendments/new/" in page
    form = client.get(f"{base}amendments/new/")
    assert form.status_code == 200 and 'name="term_months" value="12"' in form.content.decode()
    refused = client.post(f"{base}amendments/new/", {"term_months": "30", "method": "annuity"})
    assert refused.status_code == 200 and 'class="errorlist' in refused.content.decode()
    # the product's own range, not the generic "≤ 360" (issue 11)
    assert "от 3 до 24" in refused.content.decode() and "360" not in refused.content.decode()
    assert not ContractAmendment.objects.exists()
    response = client.post(
        f"{base}amendments/new/",
        {"term_months": "18", "method": "differentiated", "payment_day": "10", "reason": "зарплата"},
    )
    assert response.status_code == 302 and response["Location"] == f"{base}amendments/1/"
    page = client.get(f"{base}amendments/1/").content.decode()
    item = ContractAmendment.objects.get()
    assert 'data-status="draft"' in page and "purpose=contract_signing" in page
    assert f"/signatures/sign/{item.signing_request_id}/" in page  # the EDS step over the exact PDF
    rate = f"{item.effective_rate_percent:.2f}".rstrip("0").rstrip(".")
    assert page.count("<tr><td>") == 18 and (rate in page or rate.replace(".", ",") in page)
    pdf = client.get(f"{base}amendments/1.pdf")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content == selectors.document_pdf(item)
    client.post(f"{base}amendments/1/sign/")
    item.refresh_from_db()
    assert item.status == "draft"  # neither factor yet
    passed_biometrics(app.client)
    eds_sign(eds_settings, item.signing_request_id, app.client)
    assert client.post(f"{base}amendments/1/sign/").status_code == 302
    item.refresh_from_db()
    assert item.status == "signed"
    page = client.get(base).content.decode()
    assert 'class="amendment" data-status="signed"' in page and item.number in page
    assert f"{base}amendments/1.pdf" in page


def test_cabinet_withdraw_and_other_clients_see_nothing(client, lending_setup):
    contract = signed_contract(lending_setup, kind="entrepreneur")
    app = contract.application
    draft = amendments.request_amendment(contract, term_months=6, method="annuity")
    base = f"/lending/applications/{app.pk}/contract/amendments/"
    sign_in_client(client, make_client())
    assert client.get(f"{base}1/").status_code == 404
    assert client.get(f"{base}1.pdf").status_code == 404
    assert client.post(f"{base}1/withdraw/").status_code == 404
    client.cookies.clear()
    sign_in_client(client, app.client)
    assert client.get(f"{base}2/").status_code == 404
    client.post(f"{base}1/withdraw/")
    draft.refresh_from_db()
    assert draft.status == "withdrawn"


def test_unsigned_contract_has_no_amendment_page(client, lending_setup):
    app = approved(lending_setup, kind="entrepreneur")
    services.prepare_contract(app)
    sign_in_client(client, app.client)
    response = client.get(f"/lending/applications/{app.pk}/contract/amendments/new/")
    assert response.status_code == 302 and response["Location"] == f"/lending/applications/{app.pk}/"


def api(client, token, method, path, body=None):
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if body is not None:
        kwargs.update(data=json.dumps(body), content_type="application/json")
    elif method == "post":
        kwargs.update(data="{}", content_type="application/json")
    return getattr(client, method)(f"/api/v1{path}", **kwargs)


@pytest.mark.req("R-SIGN-1", "R-CAB-3")
def test_api_signs_the_contract_then_amends_it(client, lending_setup, eds_settings):
    app = approved(lending_setup, **EDS_CLIENT)
    token, _ = issue_api_token(app.client)
    root = f"/applications/{app.pk}/contract"
    assert api(client, token, "get", root).json()["status"] == "draft"
    started = api(client, token, "post", f"{root}/signing").json()
    assert started["eds_required"] and started["biometrics_purpose"] == "contract_signing"
    refused = api(client, token, "post", f"{root}/sign")
    assert refused.status_code == 422 and refused.json()["detail"].startswith("biometrics:")
    eds_sign(eds_settings, started["signing_request_id"], app.client)
    passed_biometrics(app.client)
    signed = api(client, token, "post", f"{root}/sign")
    assert signed.status_code == 200 and signed.json()["status"] == "signed"

    bad = api(client, token, "post", f"{root}/amendments", {"term_months": 30, "method": "annuity"})
    assert bad.status_code == 422 and bad.json()["detail"].startswith("term_months:")
    created = api(
        client,
        token,
        "post",
        f"{root}/amendments",
        {"term_months": 9, "method": "annuity", "payment_day": 5, "language": "kk"},
    )
    body = created.json()
    assert created.status_code == 201 and body["status"] == "draft" and body["language"] == "kk"
    assert body["changes"] == {"term_months": [12, 9], "payment_day": [None, 5]}
    assert len(body["schedule"]["instalments"]) == 9 and body["eds_required"]
    assert [a["number"] for a in api(client, token, "get", f"{root}/amendments").json()] == [body["number"]]
    assert api(client, token, "get", f"{root}/amendments/1").json()["pdf_sha256"] == body["pdf_sha256"]
    assert api(client, token, "get", f"{root}/amendments/1.pdf").content.startswith(b"%PDF")
    step = api(client, token, "post", f"{root}/amendments/1/signing").json()
    eds_sign(eds_settings, step["signing_request_id"], app.client)
    passed_biometrics(app.client)
    done = api(client, token, "post", f"{root}/amendments/1/sign")
    assert done.status_code == 200 and done.json()["status"] == "signed" and done.json()["signed_at"]
    assert api(client, token, "post", f"{root}/amendments/1/withdraw").status_code == 422
    assert api(client, token, "get", f"{root}/amendments/7").status_code == 404
    other, _ = issue_api_token(make_client())
    assert api(client, other, "get", f"{root}/amendments/1").status_code == 404
