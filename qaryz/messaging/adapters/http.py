"""HTTP SMS gateway: POST JSON to the provider's URL.

Contract (documented in docs/access.md): ``POST {SMS_HTTP_URL}`` with JSON
``{"to": "+77…", "text": "…", "sender": SMS_SENDER, "reference": "<purpose>"}`` and
``Authorization: Bearer <SMS_HTTP_TOKEN>`` (or HTTP basic with SMS_HTTP_USER/SMS_HTTP_PASSWORD);
a 2xx answer with JSON ``{"id": "…"}`` means accepted. Not retried automatically: a repeated
one-time code would confuse the client; the caller decides.
"""

from __future__ import annotations

import httpx
from django.conf import settings

from qaryz.messaging.ports import SmsDeliveryError


class HttpSmsGateway:
    name = "http"

    def __init__(
        self,
        url: str | None = None,
        *,
        token: str | None = None,
        user: str | None = None,
        password: str | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        sender: str | None = None,
    ) -> None:
        self.url = url or settings.SMS_HTTP_URL
        self.token = token if token is not None else settings.SMS_HTTP_TOKEN
        self.user = user if user is not None else settings.SMS_HTTP_USER
        self.password = password if password is not None else settings.SMS_HTTP_PASSWORD
        self.sender = sender or settings.SMS_SENDER
        self.timeout = httpx.Timeout(
            connect=connect_timeout or settings.SMS_HTTP_CONNECT_TIMEOUT,
            read=read_timeout or settings.SMS_HTTP_READ_TIMEOUT,
            write=read_timeout or settings.SMS_HTTP_READ_TIMEOUT,
            pool=connect_timeout or settings.SMS_HTTP_CONNECT_TIMEOUT,
        )

    def send(self, phone: str, text: str, *, purpose: str) -> str:
        if not self.url:
            raise SmsDeliveryError("SMS gateway URL is not configured")
        headers = {"Accept": "application/json"}
        auth = None
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        elif self.user:
            auth = httpx.BasicAuth(self.user, self.password or "")
        payload = {"to": phone, "text": text, "sender": self.sender, "reference": purpose}
        try:
            response = httpx.post(self.url, json=payload, headers=headers, auth=auth, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise SmsDeliveryError(f"gateway unreachable: {type(exc).__name__}") from exc
        if response.status_code // 100 != 2:
            raise SmsDeliveryError(f"gateway answered {response.status_code}")
        try:
            return str(response.json().get("id", ""))
        except ValueError:
            return ""


class HttpPushService:
    """HTTP push service (an FCM / APNs relay).

    Contract (docs/devices.md): ``POST {PUSH_HTTP_URL}`` with JSON ``{"token": "<device push
    token>", "title": "…", "body": "…", "data": {"kind": "…"}}`` and ``Authorization: Bearer
    <PUSH_HTTP_TOKEN>``; a 2xx answer with JSON ``{"id": "…"}`` means accepted.
    """

    name = "http"

    def __init__(self, url: str | None = None, *, token: str | None = None, timeout: float = 5.0) -> None:
        self.url = url or settings.PUSH_HTTP_URL
        self.token = token if token is not None else settings.PUSH_HTTP_TOKEN
        self.timeout = timeout

    def send(self, device_token: str, title: str, body: str, *, data: dict[str, str]) -> str:
        from qaryz.messaging.ports import PushDeliveryError

        if not self.url:
            raise PushDeliveryError("push service URL is not configured")
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        payload = {"token": device_token, "title": title, "body": body, "data": data}
        try:
            response = httpx.post(self.url, json=payload, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise PushDeliveryError(f"push service unreachable: {type(exc).__name__}") from exc
        if response.status_code // 100 != 2:
            raise PushDeliveryError(f"push service answered {response.status_code}")
        try:
            return str(response.json().get("id", ""))
        except ValueError:
            return ""
