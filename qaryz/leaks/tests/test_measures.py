"""Data-leak measures (R-LEAK-1): the mark forces a repeat biometric check at the next payout or
signing, runs the phone-ownership check at the mobile operator, and creates a verification call
whose script recommends a voluntary refusal of loans."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from django.utils import timezone

from qaryz.access.testing import make_client
from qaryz.leaks import selectors, services
from qaryz.leaks.adapters.embedded import register_subscriber
from qaryz.leaks.adapters.http import HttpMobileOperator
from qaryz.leaks.models import CallTask, SimulatedQuery
from qaryz.leaks.ports import OperatorError
from qaryz.records.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.mark.req("R-LEAK-1")
def test_marking_sets_off_the_three_measures():
    client = make_client(preferred_language="kk")
    register_subscriber(client.phone, client.iin, "Beeline")
    leak = services.mark_leaked(
        client, reason="База продана на форуме", source="письмо АФМ", actor="security"
    )
    assert selectors.is_leaked(client) and selectors.needs_repeat_biometrics(client)
    assert leak.phone_check == "match" and leak.phone_operator == "Beeline"
    assert SimulatedQuery.objects.filter(phone=client.phone, iin=client.iin, result="match").count() == 1
    call = leak.call
    assert call.status == CallTask.Status.PENDING and call.language == "kk"
    assert "eGov" in call.script and call.script != services.call_script(client)  # Kazakh, not the active ru
    assert AuditEvent.objects.filter(action="leaks.marked").count() == 1
    with pytest.raises(services.LeakError):
        services.mark_leaked(client, reason="again", source="again", actor="security")


@pytest.mark.req("R-LEAK-1")
def test_a_number_registered_to_someone_else_is_a_mismatch_and_blocks_closing():
    client = make_client()
    register_subscriber(client.phone, "900101300017")  # a SIM swap: the number moved to another IIN
    leak = services.mark_leaked(client, reason="утечка", source="сообщение клиента", actor="security")
    assert leak.phone_check == "mismatch"
    services.repeat_biometrics_passed(client, verification_id="v1", action="payout")
    services.record_call(
        leak.call, status="done", outcome="Клиент подтвердил", refusal_recommended=True, actor="support"
    )
    with pytest.raises(services.LeakError):
        services.close_mark(leak, actor="security")
    register_subscriber(client.phone, client.iin)  # the client re-registered the number
    leak = services.check_phone(leak, actor="security")
    assert leak.phone_check == "match"
    closed = services.close_mark(leak, actor="security")
    assert closed.closed_at and not selectors.is_leaked(client)


@pytest.mark.req("R-LEAK-1")
def test_unknown_number_and_operator_failure(settings):
    client = make_client()
    assert services.mark_leaked(client, reason="x", source="y", actor="s").phone_check == "unknown"
    settings.LEAKS_OPERATOR = "http"
    settings.LEAKS_OPERATOR_URL = ""
    leak = services.check_phone(selectors.open_mark(client), actor="s")
    assert leak.phone_check == "error"


@pytest.mark.req("R-LEAK-1")
def test_the_call_must_recommend_a_voluntary_refusal():
    client = make_client()
    leak = services.mark_leaked(client, reason="x", source="y", actor="s")
    with pytest.raises(services.LeakError):
        services.record_call(leak.call, status="done", outcome="ok", refusal_recommended=False, actor="s")
    call = services.record_call(
        leak.call, status="unreachable", outcome="", refusal_recommended=False, actor="s"
    )
    assert call.status == "unreachable" and call.attempts == 1
    call = services.record_call(
        call, status="done", outcome="Отказ оформит", refusal_recommended=True, actor="s"
    )
    assert call.status == "done" and call.attempts == 2


@pytest.mark.req("R-LEAK-1")
def test_the_repeat_check_is_needed_once_after_the_mark():
    client = make_client()
    assert not selectors.needs_repeat_biometrics(client)
    assert not services.repeat_biometrics_passed(client, verification_id="v0", action="payout")
    services.mark_leaked(client, reason="x", source="y", actor="s")
    assert services.repeat_biometrics_passed(client, verification_id="v1", action="contract_signing")
    assert not selectors.needs_repeat_biometrics(client) and selectors.is_leaked(client)


def test_http_operator_contract():
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["auth"] = request.headers["Authorization"]
        seen["body"] = request.content
        return httpx.Response(200, json={"result": "mismatch", "operator": "Kcell"})

    operator = HttpMobileOperator("https://op.example", token="t0k", transport=httpx.MockTransport(handler))
    answer = operator.check_owner("+77011234567", "880715400012")
    assert (answer.result, answer.operator) == ("mismatch", "Kcell") and seen["auth"] == "Bearer t0k"
    assert b'"iin":"880715400012"' in seen["body"].replace(b" ", b"")
    bad = HttpMobileOperator(
        "https://op.example",
        token="t",
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json={"result": "maybe"})),
    )
    with pytest.raises(OperatorError):
        bad.check_owner("+77011234567", "880715400012")
    down = HttpMobileOperator(
        "https://op.example", token="t", transport=httpx.MockTransport(lambda r: httpx.Response(503))
    )
    with pytest.raises(OperatorError):
        down.check_owner("+77011234567", "880715400012")


@pytest.mark.req("R-LEAK-1")
def test_a_payout_after_the_mark_asks_for_a_new_face_check(lending_setup, sim):
    from qaryz.lending.tests.test_signing import passed_biometrics
    from qaryz.servicing import payouts
    from qaryz.servicing.services import ServicingError
    from qaryz.servicing.tests.payout_helpers import ready_loan

    loan = ready_loan(lending_setup)
    old = passed_biometrics(loan.client, purpose="payout")  # made before the mark: does not count
    services.mark_leaked(loan.client, reason="x", source="y", actor="s")
    type(old).objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(minutes=1))
    assert payouts.payout_status(loan)["needs_biometrics"]
    with pytest.raises(ServicingError) as exc:
        payouts.request_payout(loan, key="k-1")
    assert exc.value.field == "biometrics"
    fresh = passed_biometrics(loan.client, purpose="payout")
    payout = payouts.request_payout(loan, key="k-2")
    assert payout.status == "sent" and not selectors.needs_repeat_biometrics(loan.client)
    fresh.refresh_from_db()
    assert fresh.consumed_at is not None


@pytest.mark.req("R-LEAK-1", "R-SIGN-1")
def test_signing_after_the_mark_needs_an_identification_made_after_it(lending_setup):
    from qaryz.lending import services as lending
    from qaryz.lending.tests.test_signing import approved, passed_biometrics

    app = approved(lending_setup, kind="entrepreneur")
    contract = lending.prepare_contract(app)
    lending.start_signing(contract)
    before = passed_biometrics(app.client)
    services.mark_leaked(app.client, reason="x", source="y", actor="s")
    type(before).objects.filter(pk=before.pk).update(created_at=timezone.now() - dt.timedelta(seconds=5))
    with pytest.raises(lending.FlowError):
        lending.complete_signing(contract)
    passed_biometrics(app.client)
    lending.complete_signing(contract)
    contract.refresh_from_db()
    assert contract.status == "signed" and not selectors.needs_repeat_biometrics(app.client)
    assert selectors.open_mark(app.client).biometrics_action == "contract_signing"


@pytest.mark.req("R-LEAK-1", "R-ACC-1")
def test_the_caller_sees_the_number_masked_until_revealed_with_a_reason(client):
    from qaryz.access.testing import make_staff, sign_in_staff

    person = make_client()
    leak = services.mark_leaked(person, reason="x", source="y", actor="s")
    sign_in_staff(client, make_staff("support"))
    page = client.get(f"/backoffice/leaks/{leak.pk}/").content.decode()
    assert person.phone not in page and person.phone[-2:] in page
    assert client.post(f"/backoffice/leaks/{leak.pk}/phone/", {"reason": " "}).status_code == 302
    revealed = client.post(f"/backoffice/leaks/{leak.pk}/phone/", {"reason": "Звонок"}).content.decode()
    assert person.phone in revealed
    import json

    data = json.loads(AuditEvent.objects.get(action="staff.revealed_phone").data)
    assert data["reason"] == "Звонок" and data["field"] == "phone"
