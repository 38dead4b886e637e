"""The client restructures a loan from the cabinet (issue 10 item 6): asks for a new term, sees the
new schedule and the agreement, signs it like the contract (fresh biometrics; an IE's business
loan needs no EDS), and the new schedule is in force; or withdraws it. Other clients get 404."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from qaryz.access.testing import make_client, sign_in_client
from qaryz.lending.tests.test_signing import passed_biometrics
from qaryz.servicing.models import Loan, Restructuring
from qaryz.servicing.tests.test_restructuring import ON, late_loan  # noqa: F401 – the fixture

pytestmark = pytest.mark.django_db


def _at(day: dt.date):
    return time_machine.travel(dt.datetime.combine(day, dt.time(12), tzinfo=timezone.get_current_timezone()))


@pytest.mark.req("R-SIGN-1")
def test_the_client_asks_sees_and_signs_a_new_schedule(client, late_loan):  # noqa: F811
    loan = late_loan
    with _at(ON):
        sign_in_client(client, loan.client)
        page = client.get(f"/servicing/loans/{loan.pk}/")
        assert f"/servicing/loans/{loan.pk}/restructuring/" in page.content.decode()
        form = client.get(f"/servicing/loans/{loan.pk}/restructuring/", HTTP_ACCEPT_LANGUAGE="kk")
        assert form.status_code == 200 and "new_term" not in form.content.decode().split("<form")[0]
        missing = client.post(f"/servicing/loans/{loan.pk}/restructuring/", {"kind": "new_term"})
        assert missing.status_code == 200 and missing.context["form"].errors["term_months"]
        response = client.post(
            f"/servicing/loans/{loan.pk}/restructuring/", {"kind": "new_term", "term_months": "18"}
        )
        draft = Restructuring.objects.get(loan=loan)
        assert response.status_code == 302 and response.url.endswith(f"/restructuring/{draft.sequence}/")
        shown = client.get(response.url)
        body = shown.content.decode()
        assert shown.status_code == 200 and body.count("<tr>") == 18 + 1
        assert 'id="complete-restructuring-signing"' in body
        pdf = client.get(f"/servicing/loans/{loan.pk}/restructuring/{draft.sequence}.pdf")
        assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
        # Asking again while a draft waits leads to that draft.
        assert client.get(f"/servicing/loans/{loan.pk}/restructuring/").url == response.url
        # Without a fresh face check the signature is refused with a message, nothing changes.
        client.post(f"/servicing/loans/{loan.pk}/restructuring/{draft.sequence}/sign/")
        draft.refresh_from_db()
        assert draft.status == "draft"
        passed_biometrics(loan.client)
        client.post(f"/servicing/loans/{loan.pk}/restructuring/{draft.sequence}/sign/")
    draft.refresh_from_db()
    loan.refresh_from_db()
    assert draft.status == "signed" and loan.schedule_version == 2


def test_withdrawn_and_foreign_agreements(client, late_loan):  # noqa: F811
    loan = late_loan
    with _at(ON):
        sign_in_client(client, loan.client)
        client.post(f"/servicing/loans/{loan.pk}/restructuring/", {"kind": "holiday", "holiday_months": "2"})
        draft = Restructuring.objects.get(loan=loan)
        assert client.get(f"/servicing/loans/{loan.pk}/restructuring/{draft.sequence}/").status_code == 200
        client.logout()
        sign_in_client(client, make_client(phone="+77010009977"))
        for url in (
            f"/servicing/loans/{loan.pk}/restructuring/",
            f"/servicing/loans/{loan.pk}/restructuring/{draft.sequence}/",
            f"/servicing/loans/{loan.pk}/restructuring/{draft.sequence}.pdf",
        ):
            assert client.get(url).status_code == 404, url
        client.logout()
        sign_in_client(client, loan.client)
        client.post(f"/servicing/loans/{loan.pk}/restructuring/{draft.sequence}/withdraw/")
    draft.refresh_from_db()
    assert draft.status == "withdrawn"
    assert Loan.objects.get(pk=loan.pk).schedule_version == 1


@pytest.mark.req("R-CAB-3")
def test_the_loan_page_lists_its_agreements_with_the_one_awaiting_signature(client, late_loan):  # noqa: F811
    """An agreement waiting for the client's signature – asked for by the client or prepared by the
    MFO after a request for changed terms – is found from the loan page, and stays listed after."""
    from qaryz.servicing import restructuring

    loan = late_loan
    with _at(ON):
        draft = restructuring.propose_restructuring(loan, kind="new_term", term_months=18, on=ON)
        sign_in_client(client, loan.client)
        page = client.get(f"/servicing/loans/{loan.pk}/", HTTP_ACCEPT_LANGUAGE="ru")
        body = page.content.decode()
        assert 'id="agreements"' in body and "Дополнительные соглашения" in body
        assert f'href="/servicing/loans/{loan.pk}/restructuring/{draft.sequence}/"' in body
        assert 'data-status="draft"' in body
        restructuring.withdraw_restructuring(draft, actor=loan.client)
        body = client.get(f"/servicing/loans/{loan.pk}/").content.decode()
    assert f"/restructuring/{draft.sequence}/" in body and 'data-status="withdrawn"' in body
