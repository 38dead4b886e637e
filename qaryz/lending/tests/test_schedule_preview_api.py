"""POST /api/v1/schedules/preview: public draft schedules for calculators and the app (R-PRE-3, R-PRE-4)."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest

URL = "/api/v1/schedules/preview"


def post(client, body):
    return client.post(URL, data=json.dumps(body), content_type="application/json")


@pytest.mark.req("R-PRE-3", "R-PRE-4")
@pytest.mark.django_db
def test_every_method_side_by_side_when_none_given(client):
    response = post(
        client,
        {
            "amount": "100000",
            "term_months": 12,
            "annual_rate_percent": "30",
            "start_date": "2026-01-31",
            "fees": [{"name": "issue", "kind": "one_off", "amount": "1000"}],
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert [s["method"] for s in body["schedules"]] == ["annuity", "differentiated"]
    annuity, differentiated = body["schedules"]
    assert annuity["effective_rate_percent"] == "37.2"
    assert len(annuity["instalments"]) == 12
    first = annuity["instalments"][0]
    assert first == {
        "number": 1,
        "due_date": "2026-02-28",
        "days": 28,
        "principal": "7436.15",
        "interest": "2301.37",
        "fee": "0.00",
        "total": "9737.52",
        "remaining_principal": "92563.85",
    }
    assert annuity["totals"]["upfront_fees"] == "1000.00"
    assert D(annuity["totals"]["principal"]) == D("100000")
    # Differentiated costs less interest in total than annuity on the same terms.
    assert D(differentiated["totals"]["interest"]) < D(annuity["totals"]["interest"])
    assert D(differentiated["totals"]["payable"]) == D(differentiated["totals"]["principal"]) + D(
        differentiated["totals"]["interest"]
    ) + D(differentiated["totals"]["fees"])


@pytest.mark.req("R-PRE-4")
@pytest.mark.django_db
def test_one_method_and_public_without_auth(client):
    response = post(
        client, {"amount": "50000", "term_months": 3, "annual_rate_percent": "0", "method": "differentiated"}
    )
    assert response.status_code == 200
    schedules = response.json()["schedules"]
    assert len(schedules) == 1 and schedules[0]["method"] == "differentiated"
    assert schedules[0]["totals"]["interest"] == "0.00"


@pytest.mark.req("R-SRV-1", "R-WEB-5")
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "-5", "term_months": 12, "annual_rate_percent": "30"}, "amount"),
        ({"amount": "1000", "term_months": 0, "annual_rate_percent": "30"}, "term_months"),
        ({"amount": "1000", "term_months": 12, "annual_rate_percent": "30", "method": "balloon"}, "method"),
        (
            {"amount": "1000", "term_months": 12, "annual_rate_percent": "30", "day_count": "actual/366"},
            "day_count",
        ),
        ({"amount": "1000", "term_months": 12}, "annual_rate_percent"),
        ({"amount": "1000.001", "term_months": 12, "annual_rate_percent": "30"}, "amount"),
    ],
)
def test_validation_errors_name_the_field(client, body, field):
    response = post(client, body)
    assert response.status_code == 422
    payload = response.json()
    assert payload["error"] == "validation_error" and payload["reference"]
    assert any(field in [str(part) for part in item["loc"]] for item in payload["detail"]), payload


@pytest.mark.req("R-AIS-1")
@pytest.mark.django_db
def test_documented_in_openapi(client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/schedules/preview"]["post"]
    assert "Draft" in operation["summary"]
    assert not operation.get("security")
    assert "200" in operation["responses"]
