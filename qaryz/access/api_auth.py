"""Bearer authentication of the mobile API (R-MOB-1): short-lived tokens stored only as hashes.

Two kinds of token (docs/devices.md):

* bound – issued to an app instance that proved a device key at sign-in. Sent as
  ``Authorization: DPoP <token>`` (``Bearer`` is accepted too) and ALWAYS with a ``DPoP`` proof
  header signed by that key over the method, URL, time and the token's hash; without it, with
  another key's proof or with a proof seen before, the request is refused.
* unbound – issued to a sign-in without a proof (web-based and server clients, apps before
  binding). Kept working; ``DEVICE_BINDING_REQUIRED=true`` refuses them on money functions.

``money=True`` (lending and money routers): unsafe calls also pass the version policy, the
device integrity check and record the device location (``qaryz.devices.services.guard_money``).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from qaryz.access.services import session_from_token
from qaryz.clients.models import Client


class ClientBearer(HttpBearer):
    """``request.auth`` is the Client. Unconfirmed clients only where ``allow_unconfirmed=True``;
    recovery-scope tokens (password recovery in progress) only where ``allow_recovery=True``.
    ``request.device`` is the bound Device, or None for an unbound token."""

    def __init__(
        self, *, allow_unconfirmed: bool = False, allow_recovery: bool = False, money: bool = False
    ) -> None:
        super().__init__()
        self.allow_unconfirmed = allow_unconfirmed
        self.scopes = {"full", "recovery"} if allow_recovery else {"full"}
        self.money = money

    def __call__(self, request: HttpRequest) -> Any:
        scheme, _sep, token = (request.headers.get(self.header) or "").partition(" ")
        if scheme.lower() not in ("bearer", "dpop") or not token:
            return None
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from qaryz.devices.services import authenticate_bound, guard_money

        session = session_from_token(token)
        if session is None or session.scope not in self.scopes:
            return None
        client = session.client
        if client.status == Client.Status.BLOCKED:
            return None
        if client.status != Client.Status.CONFIRMED and not self.allow_unconfirmed:
            return None
        device = authenticate_bound(session, request, token)  # raises DeviceRefused
        request.client_session = session  # type: ignore[attr-defined]
        request.device = device  # type: ignore[attr-defined]
        if self.money:
            guard_money(request, client, device)
        return client


def answer_language(request: HttpRequest) -> Any:
    """A context in which an API answer's labels and messages are translated: the language the
    app asks for with Accept-Language (ru, kk or en), else the signed-in client's preferred
    language, else Russian. Stable codes are never translated; only the ``*_label`` texts."""
    from django.conf import settings
    from django.utils import translation
    from django.utils.translation.trans_real import parse_accept_lang_header

    known = {code for code, _name in settings.LANGUAGES}
    asked = ""
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        try:
            asked = translation.get_supported_language_variant(code)
            break
        except LookupError:
            continue
    client = getattr(request, "auth", None)
    preferred = getattr(client, "preferred_language", "") if isinstance(client, Client) else ""
    language = next((code for code in (asked, preferred) if code in known), settings.LANGUAGE_CODE)
    return translation.override(language)
