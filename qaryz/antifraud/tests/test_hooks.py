"""The hooked operations: a hold suspends the operation until a security officer decides, a
release lets it go on once, a decline blocks it with a safe message (R-AF-1)."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from qaryz.access import services as access
from qaryz.access.testing import make_client
from qaryz.antifraud import services
from qaryz.antifraud.models import Alert, Event, Hold, Report
from qaryz.antifraud.tests.helpers import activate, officers
from qaryz.lending import services as lending
from qaryz.lending.models import Contract
from qaryz.lending.tests.test_signing import approved, passed_biometrics
from qaryz.servicing.tests.payout_helpers import sim_fixture  # noqa: F401 – the "sim" fixture
from qaryz.servicing.tests.test_restructuring import late_loan  # noqa: F401 – a fixture

pytestmark = [pytest.mark.django_db, pytest.mark.req("R-AF-1")]


def hold_every(event_kind: str, outcome: str = "hold"):
    """A rule that any event of ``event_kind`` hits (one event counted, threshold 1)."""
    return activate(
        [
            {
                "code": "all",
                "kind": "velocity_iin",
                "outcome": outcome,
                "event_kinds": [event_kind],
                "params": {"threshold": 1, "window_minutes": 5},
            }
        ]
    )


def test_a_hold_at_signing_suspends_it_until_released(lending_setup, django_capture_on_commit_callbacks):
    app = approved(lending_setup, kind="entrepreneur")
    contract = lending.prepare_contract(app)
    passed_biometrics(app.client)
    hold_every("signing")
    with (
        translation.override("ru"),
        pytest.raises(lending.FlowError) as exc,
        django_capture_on_commit_callbacks(execute=True),
    ):
        lending.complete_signing(contract)
    assert exc.value.field == "antifraud" and "служб" in exc.value.message  # translated, names no rule
    hold = Hold.objects.get()
    assert hold.status == "pending" and hold.subject == f"contract:{contract.pk}"
    assert Report.objects.filter(kind="alert", status="accepted").count() == 1  # sent to the NBRK centre
    with pytest.raises(lending.FlowError):
        lending.complete_signing(contract)  # still held: no new evaluation
    assert Event.objects.filter(kind="signing").count() == 1
    contract.refresh_from_db()
    assert contract.status == Contract.Status.DRAFT
    officer, _ = officers()
    services.release_hold(hold, officer, reason="client called back")
    lending.complete_signing(contract)
    contract.refresh_from_db()
    hold.refresh_from_db()
    assert contract.status == Contract.Status.SIGNED and hold.used_at is not None
    with pytest.raises(services.AntifraudError):
        services.decline_hold(hold, officer, reason="late")  # decided already


def test_a_declined_hold_blocks_the_operation(lending_setup):
    app = approved(lending_setup, kind="entrepreneur")
    contract = lending.prepare_contract(app)
    passed_biometrics(app.client)
    hold_every("signing")
    with pytest.raises(lending.FlowError):
        lending.complete_signing(contract)
    officer, _ = officers()
    with pytest.raises(services.AntifraudError):
        services.decline_hold(Hold.objects.get(), officer, reason="")
    services.decline_hold(Hold.objects.get(), officer, reason="mule account")
    with translation.override("en"), pytest.raises(lending.FlowError) as exc:
        lending.complete_signing(contract)
    assert "cannot be completed" in exc.value.message


def test_a_decline_at_application_blocks_the_submission(lending_setup):
    hold_every("application", outcome="decline")
    with pytest.raises(lending.FlowError) as exc:
        approved(lending_setup)
    assert exc.value.field == "antifraud"
    assert Alert.objects.get().outcome == "decline" and not Hold.objects.exists()


def test_login_is_refused_while_held_and_allowed_once_released(client):
    customer = make_client()
    hold_every("login")
    with pytest.raises(access.AccessError) as exc:
        access.antifraud_check("login", customer)
    assert exc.value.code == "antifraud"
    officer, _ = officers()
    services.release_hold(Hold.objects.get(), officer)
    access.antifraud_check("login", customer)  # the released hold lets this sign-in through
    with pytest.raises(access.AccessError):
        access.antifraud_check("login", customer)  # the next one is evaluated again


def test_login_page_shows_the_safe_message(client, outbox):
    from qaryz.access.testing import TEST_PASSWORD

    customer = make_client()
    hold_every("login", outcome="decline")
    response = client.post(
        "/login/", {"phone": customer.phone, "password": TEST_PASSWORD}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 302
    code = re.search(r"\b(\d{6})\b", outbox(customer.phone)[-1].text).group(1)
    response = client.post("/login/code/", {"code": code}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "cannot be completed" in response.content.decode()
    assert "_auth_user_id" not in client.session and "qaryz_client_session" not in client.session
    event = Event.objects.get(kind="login")
    assert event.client == customer and event.ip == "127.0.0.1"


# --- cash-desk payouts, amendments and restructuring (issue 14: hooked like payout and signing) ----
def test_a_hold_at_the_cash_desk_stops_the_payout_until_released(lending_setup, sim):
    from qaryz.access.testing import make_staff
    from qaryz.servicing import payouts
    from qaryz.servicing.models import Payout
    from qaryz.servicing.services import ServicingError
    from qaryz.servicing.tests.test_payout_cash_desk import cash_loan

    loan = cash_loan(lending_setup)
    cashier = make_staff("cash_desk")
    hold_every("payout")
    with translation.override("kk"), pytest.raises(ServicingError) as exc:
        payouts.pay_cash(loan, cashier=cashier, doc_type="id_card", doc_number="043512789")
    assert exc.value.field == "antifraud" and "all" not in exc.value.message  # names no rule
    hold = Hold.objects.get()
    assert hold.subject == f"loan:{loan.pk}" and not Payout.objects.exists()
    with pytest.raises(ServicingError):  # still held
        payouts.pay_cash(loan, cashier=cashier, doc_type="id_card", doc_number="043512789")
    officer, _ = officers()
    services.release_hold(hold, officer, reason="client identified in person")
    payout = payouts.pay_cash(loan, cashier=cashier, doc_type="id_card", doc_number="043512789")
    assert payout.status == Payout.Status.APPROVAL  # then the second approval as always


def test_a_declined_cash_desk_payout_is_blocked(lending_setup, sim):
    from qaryz.access.testing import make_staff
    from qaryz.servicing import payouts
    from qaryz.servicing.models import Payout
    from qaryz.servicing.services import ServicingError
    from qaryz.servicing.tests.test_payout_cash_desk import cash_loan

    loan = cash_loan(lending_setup)
    hold_every("payout", outcome="decline")
    with translation.override("ru"), pytest.raises(ServicingError) as exc:
        payouts.pay_cash(loan, cashier=make_staff("cash_desk"), doc_type="id_card", doc_number="043512789")
    assert exc.value.field == "antifraud" and re.search("[а-я]", exc.value.message)
    assert not Payout.objects.exists() and Event.objects.filter(kind="payout").count() == 1


def test_a_hold_at_amendment_signing_suspends_it_until_released(lending_setup):
    from qaryz.lending import amendments
    from qaryz.lending.tests.test_amendments import signed_contract

    contract = signed_contract(lending_setup, kind="entrepreneur")
    amendment = amendments.request_amendment(contract, term_months=6, method="annuity")
    passed_biometrics(contract.application.client)
    hold_every("amendment")
    with translation.override("ru"), pytest.raises(lending.FlowError) as exc:
        amendments.complete_amendment_signing(amendment)
    assert exc.value.field == "antifraud" and "служб" in exc.value.message
    hold = Hold.objects.get()
    assert hold.subject == f"amendment:{amendment.pk}" and hold.event_kind == "amendment"
    amendment.refresh_from_db()
    assert amendment.status == "draft"
    officer, _ = officers()
    services.release_hold(hold, officer, reason="checked")
    amendments.complete_amendment_signing(amendment)
    assert amendment.status == "signed"


def test_a_declined_amendment_is_blocked(lending_setup):
    from qaryz.lending import amendments
    from qaryz.lending.tests.test_amendments import signed_contract

    contract = signed_contract(lending_setup, kind="entrepreneur")
    amendment = amendments.request_amendment(contract, term_months=6, method="annuity")
    passed_biometrics(contract.application.client)
    hold_every("amendment", outcome="decline")
    with pytest.raises(lending.FlowError) as exc:
        amendments.complete_amendment_signing(amendment)
    assert exc.value.field == "antifraud"
    amendment.refresh_from_db()
    assert amendment.status == "draft"


def test_a_hold_at_restructuring_signing_suspends_it_until_released(late_loan):  # noqa: F811
    from qaryz.servicing import restructuring
    from qaryz.servicing.tests.test_restructuring import ON, _at

    loan = late_loan
    with _at(ON):
        draft = restructuring.propose_restructuring(loan, kind="new_term", term_months=18, on=ON)
        passed_biometrics(loan.client)
        hold_every("restructuring")
        with translation.override("en"), pytest.raises(lending.FlowError) as exc:
            restructuring.complete_restructuring_signing(draft)
        assert exc.value.field == "antifraud"
        hold = Hold.objects.get()
        assert hold.subject == f"restructuring:{draft.pk}"
        draft.refresh_from_db()
        assert draft.status == "draft"
        officer, _ = officers()
        services.release_hold(hold, officer, reason="the client called")
        restructuring.complete_restructuring_signing(draft)
    draft.refresh_from_db()
    assert draft.status == "signed"


def test_a_declined_restructuring_is_blocked(late_loan):  # noqa: F811
    from qaryz.servicing import restructuring
    from qaryz.servicing.tests.test_restructuring import ON, _at

    loan = late_loan
    with _at(ON):
        draft = restructuring.propose_restructuring(loan, kind="new_term", term_months=18, on=ON)
        passed_biometrics(loan.client)
        hold_every("restructuring", outcome="decline")
        with pytest.raises(lending.FlowError):
            restructuring.complete_restructuring_signing(draft)
    draft.refresh_from_db()
    assert draft.status == "draft" and Alert.objects.filter(event__kind="restructuring").exists()
