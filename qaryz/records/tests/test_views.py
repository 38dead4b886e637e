from __future__ import annotations

import pytest

from qaryz.access.testing import make_client, make_staff, sign_in_staff
from qaryz.records.services import record_event, store_document

pytestmark = pytest.mark.django_db


@pytest.mark.req("R-SEC-1", "R-AUD-1")
def test_security_officer_sees_and_filters_security_events(client):
    sign_in_staff(client, make_staff("security"))
    record_event("auth.login_failed", category="security", data={"username": "mallory"})
    record_event("loan.disbursed", data={"amount": "1000.00"})
    page = client.get("/records/audit/?category=security")
    assert page.status_code == 200
    body = page.content.decode()
    assert "auth.login_failed" in body and "loan.disbursed" not in body
    assert "loan.disbursed" in client.get("/records/audit/").content.decode()


def test_staff_without_the_permission_or_second_factor_cannot_see_the_trail(client):
    assert client.get("/records/audit/").status_code == 302
    client.force_login(make_staff("security"))  # password only, no second factor
    assert client.get("/records/audit/").status_code == 302
    client.logout()
    sign_in_staff(client, make_staff(None))
    assert client.get("/records/audit/").status_code == 403


def test_bad_filter_is_ignored_not_an_error(client):
    sign_in_staff(client, make_staff("security"))
    assert client.get("/records/audit/?since=not-a-date&category=nope").status_code == 200


@pytest.mark.req("R-RCPT-1")
def test_client_lists_and_downloads_receipts_through_the_api(client):
    from qaryz.access.services import issue_api_token
    from qaryz.records.receipts import verify_receipt_json
    from qaryz.records.views import public_key

    owner = make_client()
    stranger = make_client()
    doc = store_document(
        b"%PDF x", media_type="application/pdf", kind="contract", direction="outbound", owner=owner
    )
    token, _ = issue_api_token(owner)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    listed = client.get("/api/v1/records/receipts", **auth).json()
    assert [r["document_id"] for r in listed] == [str(doc.pk)]
    receipt_id = listed[0]["id"]
    as_json = client.get(f"/api/v1/records/receipts/{receipt_id}.json", **auth)
    assert as_json.status_code == 200
    pem = public_key(__import__("django.test", fromlist=["RequestFactory"]).RequestFactory().get("/")).content
    assert verify_receipt_json(as_json.content, pem.decode())["document_id"] == str(doc.pk)
    assert (
        client.get(f"/api/v1/records/receipts/{receipt_id}.pdf", **auth)["Content-Type"] == "application/pdf"
    )
    other_token, _ = issue_api_token(stranger)
    assert (
        client.get(
            f"/api/v1/records/receipts/{receipt_id}.json", HTTP_AUTHORIZATION=f"Bearer {other_token}"
        ).status_code
        == 404
    )
    assert client.get(f"/api/v1/records/receipts/{receipt_id}.json").status_code == 401
