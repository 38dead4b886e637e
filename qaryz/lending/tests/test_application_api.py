"""The application flow through the mobile API (R-CAB-1, R-CAB-3, R-CAB-4, R-PRE-2..8)."""

from __future__ import annotations

import json

import pytest

from qaryz.access.services import issue_api_token
from qaryz.lending.tests.factories import make_client, make_iin

pytestmark = pytest.mark.django_db


def api(client, token, method, path, body=None):
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if body is not None:
        return getattr(client, method)(
            f"/api/v1{path}", data=json.dumps(body), content_type="application/json", **kwargs
        )
    return getattr(client, method)(f"/api/v1{path}", **kwargs)


def through_submit(client, token, iin_serial=1, birth="900214", income="700000"):
    response = api(
        client,
        token,
        "post",
        "/applications",
        {"product": "online", "amount": "250000", "term_months": 9, "method": "annuity"},
    )
    assert response.status_code == 201, response.content
    app_id = response.json()["id"]
    texts = api(client, token, "get", f"/applications/{app_id}/disclosures").json()
    assert [t["key"] for t in texts] == ["rules", "payments", "schedules", "rights"] and all(
        t["text"] for t in texts
    )
    for item in texts:
        api(client, token, "post", f"/applications/{app_id}/acknowledgements", {"key": item["key"]})
    api(
        client,
        token,
        "post",
        f"/applications/{app_id}/disbursement",
        {"method": "card", "card": "4111111111111111"},
    )
    return app_id, api(
        client,
        token,
        "post",
        f"/applications/{app_id}/submit",
        {"monthly_income": income, "bureau_consent": True, "idempotency_key": f"api-{app_id}"},
    )


@pytest.mark.req(
    "R-CAB-1", "R-CAB-3", "R-CAB-4", "R-PRE-2", "R-PRE-3", "R-PRE-4", "R-PRE-5", "R-PRE-6", "R-PRE-7"
)
def test_api_applies_is_approved_and_gets_contract(client, lending_setup):
    me = make_client(iin=make_iin("900214", "3", 1))
    token, _ = issue_api_token(me)
    app_id, response = through_submit(client, token)
    body = response.json()
    assert response.status_code == 200 and body["status"] == "approved", body
    assert [e["status"] for e in body["events"]] == ["draft", "submitted", "checks", "approved"]
    assert body["rule_set"] == "KZ-2026-01" and body["offer"]["method"] == "annuity"
    contract = api(client, token, "get", f"/applications/{app_id}/contract").json()
    assert contract["status"] == "draft" and contract["eds_required"] and len(contract["pdf_sha256"]) == 64
    pdf = api(client, token, "get", f"/applications/{app_id}/contract.pdf")
    assert pdf.content.startswith(b"%PDF")


@pytest.mark.req("R-PRE-1", "R-AML-1", "R-PRE-8")
@pytest.mark.parametrize(
    ("iin", "reason"), [("870909370012", "aml"), (make_iin("850315", "3", 9003), "voluntary_refusal")]
)
def test_api_refusal_paths(client, lending_setup, iin, reason):
    me = make_client(iin=iin)
    token, _ = issue_api_token(me)
    _, response = through_submit(client, token)
    body = response.json()
    assert body["status"] == "declined" and body["decline_reason"] == reason and body["decline_reason_label"]


def test_api_needs_a_token_and_hides_others(client, lending_setup):
    assert client.post("/api/v1/applications", data="{}", content_type="application/json").status_code == 401
    owner, other = make_client(), make_client()
    app_id, _ = through_submit(client, issue_api_token(owner)[0])
    response = api(client, issue_api_token(other)[0], "get", f"/applications/{app_id}")
    assert response.status_code == 404 and response.json()["reference"]


def test_api_flow_errors_name_the_field(client, lending_setup):
    token, _ = issue_api_token(make_client())
    response = api(
        client,
        token,
        "post",
        "/applications",
        {"product": "online", "amount": "5000", "term_months": 9, "method": "annuity"},
    )
    assert response.status_code == 422 and response.json()["detail"].startswith("amount:")
