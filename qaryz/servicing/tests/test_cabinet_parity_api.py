"""The loan functions of the cabinet that the mobile API lacked (R-CH-1): restructuring (ask, see
the agreement and its PDF, sign it like the contract with fresh biometrics, or withdraw), the
refund of an overpayment, and paying by card. Same services as the pages; another client's loan
is "not found"; bad input is a 422 with the one error body."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.utils import timezone, translation

from qaryz.access.services import issue_api_token
from qaryz.access.testing import make_client, make_iin, sign_in_client
from qaryz.lending import signing
from qaryz.lending.tests.test_signing import passed_biometrics
from qaryz.servicing.models import Loan, Payment, RefundPayout, Restructuring
from qaryz.servicing.tests.payout_helpers import sim_fixture  # noqa: F401
from qaryz.servicing.tests.test_refund_payouts import overpaid_loan
from qaryz.servicing.tests.test_restructuring import ON, late_loan  # noqa: F401 – the fixture

pytestmark = pytest.mark.django_db


def _at(day: dt.date):
    return time_machine.travel(dt.datetime.combine(day, dt.time(12), tzinfo=timezone.get_current_timezone()))


def _call(client, token, method, path, body=None, **headers):
    kwargs = {"HTTP_AUTHORIZATION": f"Bearer {token}", **headers}
    if body is None:
        return getattr(client, method)(f"/api/v1/servicing{path}", **kwargs)
    return getattr(client, method)(
        f"/api/v1/servicing{path}", data=json.dumps(body), content_type="application/json", **kwargs
    )


def _stranger():
    return make_client(iin=make_iin("800505"))


def _error(response, status):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"] and body["reference"] and body["detail"]
    return body


@pytest.mark.req("R-CH-1", "R-SIGN-1")
def test_restructuring_through_the_api(client, late_loan):  # noqa: F811
    loan = late_loan
    with _at(ON):
        token, _s = issue_api_token(loan.client)
        base = f"/loans/{loan.pk}/restructurings"
        missing = _call(client, token, "post", base, {"kind": "new_term"}, HTTP_ACCEPT_LANGUAGE="en")
        assert _error(missing, 422)["detail"].startswith("term_months:")
        assert (
            _error(_call(client, token, "post", base, {"kind": "longer"}), 422)["error"] == "validation_error"
        )
        created = _call(client, token, "post", base, {"kind": "new_term", "term_months": 18})
        assert created.status_code == 201, created.content
        agreement = created.json()
        assert agreement["status"] == "draft" and len(agreement["rows"]) == 18
        assert agreement["kind_label"] and agreement["kind_label"] != "new_term"
        url = f"{base}/{agreement['sequence']}"
        # One draft at a time, as on the web.
        _error(_call(client, token, "post", base, {"kind": "holiday", "holiday_months": 2}), 422)
        assert [a["sequence"] for a in _call(client, token, "get", base).json()] == [agreement["sequence"]]
        pdf = _call(client, token, "get", f"{url}.pdf")
        assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
        # Another client: every operation on this loan is "not found".
        stranger, _s2 = issue_api_token(_stranger())
        for method, path in (
            ("get", base),
            ("get", url),
            ("get", f"{url}.pdf"),
            ("post", f"{url}/signing"),
            ("post", f"{url}/sign"),
            ("post", f"{url}/withdraw"),
        ):
            assert _call(client, stranger, method, path).status_code == 404, path
        assert _call(client, token, "get", f"{base}/99").status_code == 404

        started = _call(client, token, "post", f"{url}/signing").json()
        assert started["biometrics_purpose"] == signing.EDS_PURPOSE
        assert started["eds_required"] == signing.eds_required(loan.client)
        # Without a fresh face check the signature is refused with a message; nothing changes.
        _error(_call(client, token, "post", f"{url}/sign"), 422)
        assert Restructuring.objects.get(loan=loan).status == "draft"
        passed_biometrics(loan.client)
        signed = _call(client, token, "post", f"{url}/sign")
        assert signed.status_code == 200 and signed.json()["status"] == "signed", signed.content
    assert Loan.objects.get(pk=loan.pk).schedule_version == 2
    _error(_call(client, token, "post", f"{url}/withdraw"), 422)  # signed: no longer a draft


@pytest.mark.req("R-CH-1")
def test_restructuring_withdrawn_through_the_api(client, late_loan):  # noqa: F811
    loan = late_loan
    with _at(ON):
        token, _s = issue_api_token(loan.client)
        base = f"/loans/{loan.pk}/restructurings"
        sequence = _call(client, token, "post", base, {"kind": "holiday", "holiday_months": 2}).json()[
            "sequence"
        ]
        withdrawn = _call(client, token, "post", f"{base}/{sequence}/withdraw")
        assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
        assert withdrawn.json()["withdrawn_at"]
    assert Loan.objects.get(pk=loan.pk).schedule_version == 1


@pytest.mark.req("R-CH-1", "R-FRAUD-4")
def test_refund_of_an_overpayment_through_the_api(client, lending_setup, sim):
    loan = overpaid_loan(lending_setup)
    token, _s = issue_api_token(loan.client)
    url = f"/loans/{loan.pk}/refund"
    shown = _call(client, token, "get", f"/loans/{loan.pk}").json()
    assert shown["application_id"] == loan.application_id  # the loan page links its contract
    state = shown["refund"]
    assert state["can_request"] is True and state["amount"] == "12345.00" and state["last_status"] == ""
    _error(_call(client, token, "post", url, {"key": "x"}), 422)  # a key too short
    stranger, _s2 = issue_api_token(_stranger())
    assert _call(client, stranger, "post", url, {"key": "device-key-1"}).status_code == 404
    first = _call(client, token, "post", url, {"key": "device-key-1"})
    assert first.status_code == 200, first.content
    assert first.json()["amount"] == "12345.00" and first.json()["account"]
    again = _call(client, token, "post", url, {"key": "device-key-1"})  # a retried request
    assert again.json() == first.json() and RefundPayout.objects.filter(loan=loan).count() == 1
    sim.deliver_pending()
    loan.refresh_from_db()
    assert loan.advance == 0 and loan.refund_payable == 0
    state = _call(client, token, "get", f"/loans/{loan.pk}", HTTP_ACCEPT_LANGUAGE="en").json()["refund"]
    assert state["can_request"] is False and state["last_status"] == "confirmed"
    with translation.override("en"):
        assert state["last_status_label"] == str(RefundPayout.Status.CONFIRMED.label)
    assert state["last_amount"] == "12345.00"
    nothing = _call(client, token, "post", url, {"key": "device-key-2"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "no overpayment" in _error(nothing, 422)["detail"]


@pytest.mark.req("R-CH-1", "R-CAB-6")
def test_card_payment_through_the_api(client, lending_setup):
    loan = overpaid_loan(lending_setup, account=None)
    token, _s = issue_api_token(loan.client)
    url = f"/loans/{loan.pk}/card-payment"
    assert _error(_call(client, token, "post", url, {"amount": "0"}), 422)["error"] == "validation_error"
    stranger, _s2 = issue_api_token(_stranger())
    assert _call(client, stranger, "post", url, {"amount": "1000"}).status_code == 404
    opened = _call(client, token, "post", url, {"amount": "1000.50"})
    assert opened.status_code == 200, opened.content
    page = opened.json()["payment_url"]
    assert page.startswith("/servicing/demo-acquirer/") and opened.json()["order_id"]
    # The acquirer's card page (the embedded one here) takes the card; its webhook posts the payment.
    before = Payment.objects.filter(loan=loan).count()
    sign_in_client(client, loan.client)
    assert client.post(page, {"card": "4111 1111 1111 1111"}).status_code == 302
    assert Payment.objects.filter(loan=loan).count() == before + 1
    assert Payment.objects.filter(loan=loan).order_by("-id").first().amount == 1000_50
    Loan.objects.filter(pk=loan.pk).update(status=Loan.Status.CLOSED)
    closed = _call(client, token, "post", url, {"amount": "1000"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "active loan only" in _error(closed, 422)["detail"]
