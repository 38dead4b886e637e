"""The cabinet's "My applications" and "Apply" pages through /api/v1 (R-CH-1, R-CAB-4, R-PRE-4):
the client's applications newest first and each one's history, with stable status codes and labels
in the client's language; the products offered and their draft schedules side by side."""

from __future__ import annotations

import pytest
from django.utils import translation

from qaryz.access.services import issue_api_token
from qaryz.lending.models import Application
from qaryz.lending.tests.factories import make_client, make_iin
from qaryz.lending.tests.test_application_api import api, through_submit

pytestmark = pytest.mark.django_db


@pytest.mark.req("R-CH-1", "R-CAB-4")
def test_application_list_and_history_with_labels(client, lending_setup):
    me = make_client(iin=make_iin("900214", "3", 1), preferred_language="kk")
    token, _ = issue_api_token(me)
    first, _response = through_submit(client, token)
    second = api(
        client,
        token,
        "post",
        "/applications",
        {"product": "online", "amount": "100000", "term_months": 6, "method": "annuity"},
    ).json()["id"]
    listed = api(client, token, "get", "/applications").json()
    assert [a["id"] for a in listed] == [second, first]
    assert [a["status"] for a in listed] == ["draft", "approved"]
    # Without Accept-Language: the client's language (Kazakh); the codes never change.
    with translation.override("kk"):
        kk = str(Application.Status.APPROVED.label)
    with translation.override("en"):
        en = str(Application.Status.APPROVED.label)
    assert kk != en and listed[1]["status_label"] == kk
    history = api(client, token, "get", f"/applications/{first}/history").json()
    assert [e["status"] for e in history] == ["draft", "submitted", "checks", "approved"]
    assert history[-1]["from_status"] == "checks" and history[-1]["status_label"] == kk
    english = client.get(
        f"/api/v1/applications/{first}/history",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        HTTP_ACCEPT_LANGUAGE="en",
    ).json()
    assert english[-1]["status_label"] == en
    # Another client sees none of them.
    other, _ = issue_api_token(make_client())
    assert api(client, other, "get", "/applications").json() == []
    refused = api(client, other, "get", f"/applications/{first}/history")
    assert refused.status_code == 404 and refused.json()["reference"]
    assert client.get("/api/v1/applications").status_code == 401


@pytest.mark.req("R-CH-1", "R-PRE-4")
def test_products_and_offers_as_on_the_apply_page(client, lending_setup):
    token, _ = issue_api_token(make_client())
    products = api(client, token, "get", "/products").json()
    assert [p["code"] for p in products] == ["online"]
    online = products[0]
    assert online["methods"] and online["min_amount"] and online["disbursement_methods"]
    offers = api(
        client, token, "post", "/products/online/offers", {"amount": "250000", "term_months": 9}
    ).json()
    assert sorted(o["method"] for o in offers) == sorted(online["methods"])
    assert all(len(o["instalments"]) == 9 and o["effective_rate_percent"] for o in offers)
    too_small = api(
        client,
        token,
        "post",
        "/products/online/offers",
        {"amount": "5000", "term_months": 9},
    )
    assert too_small.status_code == 422 and too_small.json()["detail"].startswith("amount:")
    bad = api(client, token, "post", "/products/online/offers", {"amount": "-1", "term_months": 9})
    assert bad.status_code == 422 and bad.json()["error"] == "validation_error"
    assert (
        api(
            client, token, "post", "/products/nope/offers", {"amount": "250000", "term_months": 9}
        ).status_code
        == 404
    )
