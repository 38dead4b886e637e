"""Push notifications to bound app instances (R-AUTH-6, R-MOB-1, R-CAB-4): sign-in, password,
phone and bank changes and the status notices, in the client's language, through the push port."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import SimpleNamespace

import pytest

from qaryz.access import services as access
from qaryz.devices import services as devices
from qaryz.devices.models import Device
from qaryz.devices.testing import App
from qaryz.messaging import status_notices
from qaryz.messaging.models import EmbeddedPush
from qaryz.messaging.services import send_push

pytestmark = [pytest.mark.django_db, pytest.mark.req("R-AUTH-6", "R-MOB-1")]


def _with_push(app: App, token: str) -> None:
    answer = app.call("PUT", "/api/v1/devices/current", {"push_token": token, "name": "Мой телефон"})
    assert answer.status_code == 200 and answer.json()["name"] == "Мой телефон"


def _kinds(token: str) -> list[str]:
    return [p.data["kind"] for p in EmbeddedPush.objects.filter(device_token=token).order_by("pk")]


def test_sign_in_on_another_device_is_pushed_in_the_clients_language(
    client, signed_in_app, django_capture_on_commit_callbacks
):
    from qaryz.access.testing import make_client

    person = make_client(preferred_language="kk")
    _person, phone = signed_in_app(person=person)
    _with_push(phone, "fcm-token-1")
    with django_capture_on_commit_callbacks(execute=True):
        signed_in_app(App(client), person=person)  # a second app signs in
    push = EmbeddedPush.objects.get(device_token="fcm-token-1")
    assert push.data["kind"] == "access.login"
    assert push.title == "Жеке кабинетке кіру"  # the access room's kk text of "Sign-in to your cabinet"


def test_password_phone_and_bank_changes_are_pushed(
    client, signed_in_app, django_capture_on_commit_callbacks
):
    from qaryz.access.testing import TEST_PASSWORD

    person, app = signed_in_app()
    _with_push(app, "apns-token-2")
    with django_capture_on_commit_callbacks(execute=True):
        access.change_client_password(person, TEST_PASSWORD, "Another-Strong-Password-2026", current=None)
        # What qaryz.access.stepup.apply_change sends after a phone or bank change:
        access._notify(
            person, "phone_changed", tail="1234", phone="+77010000000"
        )  # SMS copy to the old number
        access._notify(person, "phone_changed", tail="1234")
        access._notify(person, "bank_changed", masked="KZ** **** 1234")
    assert _kinds("apns-token-2") == [
        "access.password_changed",
        "access.phone_changed",
        "access.bank_changed",
    ]


def test_status_notices_are_pushed_once(client, signed_in_app, django_capture_on_commit_callbacks):
    person, app = signed_in_app()
    _with_push(app, "fcm-token-3")
    application = SimpleNamespace(client=person, pk=77, contract=None)
    loan = SimpleNamespace(client=person, pk=5, number="QZ-5")
    payment = SimpleNamespace(pk=9, amount=1500000, value_date=dt.date(2026, 12, 3))
    for _ in range(2):  # a repeated transition notifies once
        with django_capture_on_commit_callbacks(execute=True):
            status_notices.application_status(application, "approved")
            status_notices.payments_received([(loan, payment)])
            status_notices.loan_closed(loan)
    assert _kinds("fcm-token-3") == ["lending.application", "servicing.payment", "servicing.loan"]
    assert all(p.title and p.body for p in EmbeddedPush.objects.all())


def test_revoked_device_gets_no_push(client, signed_in_app):
    person, app = signed_in_app()
    _with_push(app, "fcm-token-4")
    assert devices.revoke_device(person, app.device_id)
    assert send_push(person, "t", "b") == 0
    assert not EmbeddedPush.objects.exists()
    assert Device.objects.get().revoked_at is not None


class _Recorder(BaseHTTPRequestHandler):
    received: list[dict] = []
    answer: dict = {}

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append({"body": body, "auth": self.headers.get("Authorization")})
        data = json.dumps(type(self).answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def http_service():
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    _Recorder.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/", _Recorder
    server.shutdown()


def test_http_push_adapter(client, signed_in_app, settings, http_service):
    url, recorder = http_service
    recorder.answer = {"id": "push-1"}
    person, app = signed_in_app()
    _with_push(app, "fcm-token-5")
    settings.PUSH_SERVICE = "qaryz.messaging.adapters.http.HttpPushService"
    settings.PUSH_HTTP_URL, settings.PUSH_HTTP_TOKEN = url, "secret"
    assert send_push(person, "Заголовок", "Текст", kind="test") == 1
    assert recorder.received == [
        {
            "body": {"token": "fcm-token-5", "title": "Заголовок", "body": "Текст", "data": {"kind": "test"}},
            "auth": "Bearer secret",
        }
    ]
    settings.PUSH_HTTP_URL = "http://127.0.0.1:9/"
    assert send_push(person, "t", "b") == 0  # an unreachable service is logged, never raised


def test_http_attestation_adapter(settings, http_service):
    from qaryz.devices.adapters.http import HttpAttestationVerifier

    url, recorder = http_service
    recorder.answer = {"valid": True, "nonce": "n1", "device_ref": "d1", "device_ok": False, "app_ok": True}
    verdict = HttpAttestationVerifier(url, token="t").verify("tok", platform="ios")
    assert verdict.valid and not verdict.device_ok and verdict.nonce == "n1"
    assert recorder.received[0]["body"] == {
        "token": "tok",
        "platform": "ios",
        "package": settings.DEVICE_APP_PACKAGE,
    }


def test_a_push_token_has_one_owner_and_logout_stops_pushes(client, signed_in_app):
    first, old_app = signed_in_app()
    _with_push(old_app, "fcm-shared")
    second, new_app = signed_in_app()  # the phone passed to another client
    _with_push(new_app, "fcm-shared")
    assert send_push(first, "t", "b") == 0 and send_push(second, "t", "b") == 1
    assert new_app.call("POST", "/api/v1/access/logout").status_code == 200
    assert send_push(second, "t", "b") == 0
