"""The client's loans through the API (R-CAB-5, R-CAB-6, R-MOB-1): same data as the cabinet."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from qaryz.access.services import issue_api_token
from qaryz.lending.tests.factories import make_client
from qaryz.servicing.tests.factories import active_loan
from qaryz.servicing.tests.test_loan_pages import pay_first_instalment

pytestmark = pytest.mark.django_db


@pytest.fixture
def loan(lending_setup):
    return active_loan(lending_setup, timezone.localdate() - dt.timedelta(days=40))


def _auth(person) -> dict:
    token, _session = issue_api_token(person)
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.mark.req("R-CAB-5", "R-CAB-6", "R-MOB-1")
def test_loan_detail_splits_the_debt_and_lists_schedule_payments_and_how_to_repay(client, loan, settings):
    settings.SERVICING_CASH_DESKS = [{"kind": "terminal", "name": "Kassa24", "address": "Mega"}]
    pay_first_instalment(loan)
    loan.refresh_from_db()
    auth = _auth(loan.client)
    listing = client.get("/api/v1/servicing/loans", **auth).json()
    assert [item["number"] for item in listing] == [loan.number]
    body = client.get(f"/api/v1/servicing/loans/{loan.pk}", **auth).json()
    lines = {line["key"]: line for line in body["debt"]["lines"]}
    assert Decimal(lines["principal"]["current"]) == Decimal(loan.principal_current) / 100
    assert set(lines) == {"principal", "interest", "penalty", "fees"}
    assert body["schedule"][0]["state"] == "paid" and body["schedule"][1]["state"] == "upcoming"
    assert body["next_instalment"]["number"] == 2
    assert body["disbursement"]["code"] == "paid"
    assert body["how_to_repay"]["payment_reference"] == loan.payment_reference
    assert body["how_to_repay"]["terminals"][0]["name"] == "Kassa24"
    assert body["recent_payments"][0]["purpose"] == "instalment"
    assert client.get(f"/api/v1/servicing/loans/{loan.pk}/schedule", **auth).json()[0]["paid_on"]
    how = client.get(f"/api/v1/servicing/loans/{loan.pk}/how-to-repay", **auth).json()
    assert how["payment_reference"] == loan.payment_reference


def test_transactions_and_payments_are_paginated(client, loan):
    pay_first_instalment(loan)
    auth = _auth(loan.client)
    first = client.get(f"/api/v1/servicing/loans/{loan.pk}/transactions?limit=2", **auth).json()
    assert len(first["items"]) == 2 and first["next_before"]
    rest = client.get(
        f"/api/v1/servicing/loans/{loan.pk}/transactions?limit=50&before={first['next_before']}", **auth
    ).json()
    ids = [t["id"] for t in first["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) == 5 and ids == sorted(ids, reverse=True) and rest["next_before"] is None
    assert all(t["kind_label"] and "_" not in t["debit"] for t in first["items"])
    payments = client.get(f"/api/v1/servicing/loans/{loan.pk}/payments?limit=1", **auth).json()
    assert len(payments["items"]) == 1 and payments["next_offset"] is None


def test_other_clients_loan_is_404_anonymous_401_bad_input_422(client, loan):
    url = f"/api/v1/servicing/loans/{loan.pk}"
    assert client.get(url).status_code == 401
    assert client.get("/api/v1/servicing/loans").status_code == 401
    other = _auth(make_client())
    for suffix in ("", "/schedule", "/transactions", "/payments", "/how-to-repay"):
        response = client.get(url + suffix, **other)
        assert response.status_code == 404 and response.json()["error"] == "error", suffix
    assert client.get("/api/v1/servicing/loans", **other).json() == []
    mine = _auth(loan.client)
    assert client.get(f"{url}/transactions?limit=0", **mine).status_code == 422
    response = client.post(
        f"{url}/early-repayment/quote", {"mode": "sideways"}, content_type="application/json", **mine
    )
    assert response.status_code == 422


def test_every_servicing_operation_is_documented():
    from qaryz.api.api import api

    mine = (
        "/loans",
        "/schedule",
        "/transactions",
        "/payments",
        "/how-to-repay",
        "/early-repayment",
        "/quote",
    )
    paths = {
        p: ops
        for p, ops in api.get_openapi_schema()["paths"].items()
        if p.startswith("/api/v1/servicing/loans") and (p.endswith(mine) or p.endswith("}"))
    }
    assert len(paths) >= 8
    for path, ops in paths.items():
        for method, op in ops.items():
            assert op.get("summary"), (method, path)
            codes = {str(code) for code in op["responses"]}
            assert {"200", "401"} <= codes, (method, path)
            if "{loan_id}" in path:
                assert {"404", "422"} <= codes, (method, path)
