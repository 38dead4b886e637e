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
