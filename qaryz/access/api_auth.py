"""Bearer authentication of the mobile API (R-MOB-1): short-lived tokens stored only as hashes."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from qaryz.access.services import session_from_token
from qaryz.clients.models import Client


class ClientBearer(HttpBearer):
    """``request.auth`` is the Client. Unconfirmed clients only where ``allow_unconfirmed=True``;
    recovery-scope tokens (password recovery in progress) only where ``allow_recovery=True``."""

    def __init__(self, *, allow_unconfirmed: bool = False, allow_recovery: bool = False) -> None:
        super().__init__()
        self.allow_unconfirmed = allow_unconfirmed
        self.scopes = {"full", "recovery"} if allow_recovery else {"full"}

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        session = session_from_token(token)
        if session is None or session.scope not in self.scopes:
            return None
        client = session.client
        if client.status == Client.Status.BLOCKED:
            return None
        if client.status != Client.Status.CONFIRMED and not self.allow_unconfirmed:
            return None
        request.client_session = session  # type: ignore[attr-defined]
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
