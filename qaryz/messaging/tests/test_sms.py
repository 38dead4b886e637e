"""SMS gateway port: embedded outbox (table + file) and the HTTP adapter against a local fake
provider; notifications to clients (R-AUTH-6, R-ONB-8)."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from qaryz.access.testing import make_client
from qaryz.messaging import services
from qaryz.messaging.adapters.http import HttpSmsGateway
from qaryz.messaging.models import EmbeddedSms, Notification, SmsDelivery
from qaryz.messaging.ports import SmsDeliveryError


class FakeProvider:
    """A tiny SMS provider on a free loopback port that records what it received."""

    def __init__(self, status: int = 200, delay: float = 0.0):
        self.received: list[dict] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                owner.received.append(
                    {
                        "body": json.loads(self.rfile.read(length)),
                        "auth": self.headers.get("Authorization", ""),
                    }
                )
                time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(json.dumps({"id": f"msg-{len(owner.received)}"}).encode())
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False  # do not wait for the deliberately slow handler
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.req("R-ONB-8")
@pytest.mark.django_db
def test_embedded_outbox_keeps_table_and_file(settings, tmp_path):
    settings.SMS_OUTBOX_FILE = str(tmp_path / "out" / "sms.log")
    delivery = services.send_sms(
        "+77011112233", "Qaryz: code 123456 for registration", purpose="otp:registration"
    )
    assert delivery.status == "sent" and delivery.adapter == "embedded"
    assert EmbeddedSms.objects.get().text.endswith("123456 for registration")
    assert "123456" in (tmp_path / "out" / "sms.log").read_text()
    # The delivery log never keeps the code itself.
    assert "123456" not in SmsDelivery.objects.get().text_masked


@pytest.mark.req("R-ONB-8")
@pytest.mark.django_db
def test_http_adapter_posts_json_with_bearer(settings):
    with FakeProvider() as provider:
        settings.SMS_GATEWAY = "qaryz.messaging.adapters.http.HttpSmsGateway"
        settings.SMS_HTTP_URL = provider.url
        settings.SMS_HTTP_TOKEN = "provider-token"
        delivery = services.send_sms("+77011112233", "Hello", purpose="notification")
    assert delivery.status == "sent" and delivery.provider_id == "msg-1" and delivery.adapter == "http"
    assert provider.received[0]["body"] == {
        "to": "+77011112233",
        "text": "Hello",
        "sender": settings.SMS_SENDER,
        "reference": "notification",
    }
    assert provider.received[0]["auth"] == "Bearer provider-token"
    assert EmbeddedSms.objects.count() == 0


@pytest.mark.req("R-ONB-8")
@pytest.mark.django_db
def test_http_adapter_basic_auth_and_errors(settings):
    with FakeProvider(status=503) as provider:
        gateway = HttpSmsGateway(provider.url, token="", user="mfo", password="pw")
        with pytest.raises(SmsDeliveryError, match="503"):
            gateway.send("+77011112233", "x", purpose="notification")
        assert provider.received[0]["auth"].startswith("Basic ")
        settings.SMS_GATEWAY = "qaryz.messaging.adapters.http.HttpSmsGateway"
        settings.SMS_HTTP_URL = provider.url
        delivery = services.send_sms("+77011112233", "x", purpose="notification")
    assert delivery.status == "failed" and "503" in delivery.error


@pytest.mark.req("R-ONB-8")
def test_http_adapter_times_out():
    with FakeProvider(delay=4.0) as provider:
        gateway = HttpSmsGateway(provider.url, token="t", connect_timeout=0.5, read_timeout=0.3)
        started = time.monotonic()
        with pytest.raises(SmsDeliveryError, match="unreachable"):
            gateway.send("+77011112233", "x", purpose="notification")
        assert time.monotonic() - started < 3.0  # well before the provider answers


@pytest.mark.req("R-AUTH-6")
@pytest.mark.django_db
def test_notify_client_in_cabinet_and_sms(outbox):
    person = make_client()
    note = services.notify_client(person, "Вход в кабинет", "Вход 22.11.2026 10:00")
    assert Notification.objects.get() == note
    assert outbox(person.phone)[0].text.startswith("Вход в кабинет")


@pytest.mark.req("R-AUTH-6")
@pytest.mark.django_db
def test_failed_gateway_does_not_break_notifications(settings):
    settings.SMS_GATEWAY = "qaryz.messaging.adapters.http.HttpSmsGateway"
    settings.SMS_HTTP_URL = ""
    person = make_client()
    services.notify_client(person, "S", "B")
    assert Notification.objects.count() == 1
    assert SmsDelivery.objects.get().status == "failed"
