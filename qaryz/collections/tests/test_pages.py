"""Pages and API of collections: the client's changed-terms request (cabinet and API), the staff
request list and answer, the collection panel of the staff loan card and the write-off queue, in
ru and kk without message ids (R-ACC-1 for the permissions)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from qaryz.access.testing import make_staff, sign_in_client, sign_in_staff
from qaryz.collections import services
from qaryz.collections.models import ChangedTermsRequest, CollectionAction, WriteOffDecision
from qaryz.collections.tests.helpers import at, loan_in_delay
from qaryz.servicing.models import Loan

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2027, 1, 11)
# English source strings that must not show on a ru/kk page.
ENGLISH = [
    "Ask for changed terms",
    "Changed terms",
    "Requests for changed terms",
    "Answer due",
    "Collection",
    "Send an SMS reminder",
    "Log the call",
    "Propose a write-off",
    "Write-offs awaiting approval",
    "Approve the write-off",
    "No collection actions yet.",
    "Awaiting an answer",
]


def english_left(body: str) -> list[str]:
    text = re.sub(r"<[^>]+>", " ", body)
    return [s for s in ENGLISH if re.search(rf"(?<![\w-]){re.escape(s)}(?![\w-])", text)]


def sent(product, language="ru"):
    loan, notice = loan_in_delay(product, language=language)
    with time_machine.travel(at(notice.overdue_since + dt.timedelta(days=3), 10), tick=False):
        services.send_queued_delay_notices()
    notice.refresh_from_db()
    return loan, notice


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_cabinet_changed_terms_page_and_request(client, lending_setup, language):
    loan, notice = sent(lending_setup, language)
    day = notice.sent_at.astimezone(at(MONDAY, 0).tzinfo).date() + dt.timedelta(days=2)
    with time_machine.travel(at(day, 12), tick=True):
        sign_in_client(client, loan.client)  # the session is fresh at the travelled time
        client.cookies["django_language"] = language
        page = client.get(f"/servicing/loans/{loan.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert 'id="changed-terms-link"' in page and english_left(page) == []
        form = client.get(f"/collections/loans/{loan.pk}/changed-terms/", HTTP_ACCEPT_LANGUAGE=language)
        assert form.status_code == 200 and english_left(form.content.decode()) == []
        done = client.post(
            f"/collections/loans/{loan.pk}/changed-terms/",
            {"wish": "holiday", "explanation": "Ill"},
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert done.status_code == 302
        request = ChangedTermsRequest.objects.get(loan=loan)
        assert request.channel == "web" and request.received_on == day
        again = client.post(
            f"/collections/loans/{loan.pk}/changed-terms/", {"wish": "holiday"}, HTTP_ACCEPT_LANGUAGE=language
        )
        assert again.status_code == 200 and 'id="already"' in again.content.decode()
        page = client.get(f"/servicing/loans/{loan.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert 'id="changed-terms-status"' in page and english_left(page) == []


def test_cabinet_refusal_after_the_window_is_shown_on_the_form(client, lending_setup):
    loan, notice = sent(lending_setup)
    late = notice.sent_at.astimezone(at(MONDAY, 0).tzinfo).date() + dt.timedelta(days=31)
    with time_machine.travel(at(late, 12), tick=True):
        sign_in_client(client, loan.client)
        response = client.post(f"/collections/loans/{loan.pk}/changed-terms/", {"wish": "new_term"})
    assert response.status_code == 200 and 'id="form-errors"' in response.content.decode()
    assert not ChangedTermsRequest.objects.exists()


def test_cabinet_another_clients_loan_is_not_found(client, lending_setup):
    from qaryz.lending.tests.factories import make_client

    loan, _notice = sent(lending_setup)
    sign_in_client(client, make_client())
    assert client.get(f"/collections/loans/{loan.pk}/changed-terms/").status_code == 404


def test_api_changed_terms(client, lending_setup):
    from qaryz.access.services import issue_api_token

    loan, notice = sent(lending_setup)
    url = f"/api/v1/collections/loans/{loan.pk}/changed-terms"
    day = notice.sent_at.astimezone(at(MONDAY, 0).tzinfo).date() + dt.timedelta(days=1)
    with time_machine.travel(at(day, 12), tick=True):
        token, _session = issue_api_token(loan.client)
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        state = client.get(url, **auth).json()
        assert state["can_ask"] is True and state["request"] is None
        assert state["last_day"] == (day + dt.timedelta(days=29)).isoformat()
        bad = client.post(url, {"wish": "everything"}, content_type="application/json", **auth)
        assert bad.status_code == 422
        made = client.post(url, {"wish": "lower_instalment"}, content_type="application/json", **auth)
        assert made.status_code == 200, made.content
        body = made.json()
        assert body["can_ask"] is False and body["request"]["status"] == "open"
        assert body["request"]["answer_due"] == (day + dt.timedelta(days=15)).isoformat()
        again = client.post(url, {"wish": "holiday"}, content_type="application/json", **auth)
        assert again.status_code == 422 and again.json()["detail"]
    assert ChangedTermsRequest.objects.get().channel == "api"


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_staff_request_list_detail_and_answer(client, lending_setup, language):
    loan, notice = sent(lending_setup)
    request = services.request_changed_terms(
        loan, wish="new_term", on=notice.overdue_since + dt.timedelta(days=4)
    )
    officer = make_staff("collections_officer")
    with time_machine.travel(at(request.answer_due + dt.timedelta(days=1), 12), tick=True):
        sign_in_staff(client, officer)
        client.cookies["django_language"] = language
        listing = client.get("/backoffice/collections/requests/", HTTP_ACCEPT_LANGUAGE=language)
        body = listing.content.decode()
        assert listing.status_code == 200 and loan.number in body and english_left(body) == []
        assert 'id="overdue-count"' in body
        detail = client.get(f"/backoffice/collections/requests/{request.pk}/", HTTP_ACCEPT_LANGUAGE=language)
        assert detail.status_code == 200 and english_left(detail.content.decode()) == []
        empty = client.post(f"/backoffice/collections/requests/{request.pk}/refuse/", {"reason": ""})
        assert empty.status_code == 422
        done = client.post(f"/backoffice/collections/requests/{request.pk}/refuse/", {"reason": "No income"})
        assert done.status_code == 302
    request.refresh_from_db()
    assert request.status == "refused" and request.letter is not None


def test_staff_approve_with_servicing_refusal_shows_the_message(client, lending_setup):
    loan, notice = sent(lending_setup)
    request = services.request_changed_terms(loan, wish="new_term", on=loan.closed_through)
    with time_machine.travel(at(loan.closed_through, 12), tick=True):
        sign_in_staff(client, make_staff("collections_officer"))
        response = client.post(
            f"/backoffice/collections/requests/{request.pk}/approve/",
            {"kind": "new_term", "term_months": "18"},
        )
    assert response.status_code == 422 and "errorlist" in response.content.decode()
    request.refresh_from_db()
    assert request.status == "open"


@pytest.mark.parametrize("language", ["ru", "kk"])
def test_staff_loan_card_panel_actions_and_write_off(client, lending_setup, language):
    loan, _notice = loan_in_delay(lending_setup)
    officer = make_staff("collections_officer")
    with time_machine.travel(at(MONDAY, 11), tick=True):
        sign_in_staff(client, officer)
        client.cookies["django_language"] = language
        card = client.get(f"/backoffice/loans/{loan.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert 'id="send-reminder"' in card and 'id="write-off-form"' in card and english_left(card) == []
        assert (
            client.post(f"/backoffice/loans/{loan.pk}/collection-action/", {"kind": "reminder"}).status_code
            == 302
        )
        client.post(
            f"/backoffice/loans/{loan.pk}/collection-action/",
            {"kind": "call", "outcome": "no_answer", "note": "voicemail"},
        )
        assert CollectionAction.objects.filter(loan=loan).count() == 2
        card = client.get(f"/backoffice/loans/{loan.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert "voicemail" in card and english_left(card) == []
        assert (
            client.post(f"/backoffice/loans/{loan.pk}/write-off/", {"reason": "Uncollectable"}).status_code
            == 302
        )
    decision = WriteOffDecision.objects.get(loan=loan)

    # The write-off queue: the proposer sees no approve button; the approver approves.
    approver = make_staff("write_off_approver")
    client.cookies.clear()
    sign_in_staff(client, approver)
    client.cookies["django_language"] = language
    queue = client.get("/backoffice/collections/write-offs/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert loan.number in queue and english_left(queue) == []
    assert client.post(f"/backoffice/collections/write-offs/{decision.pk}/approve/").status_code == 302
    loan.refresh_from_db()
    assert loan.status == Loan.Status.WRITTEN_OFF


def test_staff_suspended_loan_card_shows_suspension_and_refuses_actions(client, lending_setup):
    loan, _notice = loan_in_delay(lending_setup)
    Loan.objects.filter(pk=loan.pk).update(suspended_from=loan.closed_through, suspension_reason="Case 1")
    with time_machine.travel(at(MONDAY, 11), tick=True):
        sign_in_staff(client, make_staff("collections_officer"))
        card = client.get(f"/backoffice/loans/{loan.pk}/").content.decode()
        assert 'id="collection-suspended"' in card and 'id="send-reminder"' not in card
        response = client.post(
            f"/backoffice/loans/{loan.pk}/collection-action/", {"kind": "reminder"}, follow=True
        )
    assert not CollectionAction.objects.exists()
    assert "msg-error" in response.content.decode()


def test_maker_cannot_approve_own_write_off_through_the_page(client, lending_setup):
    from django.contrib.auth.models import Group

    loan, _notice = loan_in_delay(lending_setup)
    maker = make_staff("write_off_approver")
    maker.groups.add(Group.objects.get(name="collections_officer"))
    decision = services.propose_write_off(loan, reason="x", maker=maker)
    sign_in_staff(client, maker)
    queue = client.get("/backoffice/collections/write-offs/").content.decode()
    assert f"/write-offs/{decision.pk}/approve/" not in queue
    response = client.post(f"/backoffice/collections/write-offs/{decision.pk}/approve/", follow=True)
    assert "msg-error" in response.content.decode()
    decision.refresh_from_db()
    assert decision.status == "proposed"
