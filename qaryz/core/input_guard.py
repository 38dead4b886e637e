"""One guard for every request: NUL characters are refused before any view, form or schema sees them.

A NUL byte cannot be stored in a PostgreSQL text column and means nothing in a name, code or id, so a
query string, form body or JSON body holding one (raw, `%00`, or the JSON escape `\\u0000`) is answered
400 – a JSON error under /api/, the reference-only error page elsewhere. In multipart bodies only the
text fields are checked (uploaded files may hold any byte).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from qaryz.core.request_context import get_request_id

Handler = Callable[[HttpRequest], HttpResponse]
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_PERCENT_NUL = re.compile(rb"%00")


def has_nul(request: HttpRequest) -> bool:
    query = request.META.get("QUERY_STRING", "")
    if "\x00" in query or "%00" in query or "\x00" in request.path:
        return True
    content_type = request.META.get("CONTENT_TYPE", "")
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    if content_type.startswith("multipart/"):  # the text fields; uploaded files may hold any byte
        return any("\x00" in value for _key, values in request.POST.lists() for value in values)
    body = request.body
    if b"\x00" in body:
        return True
    if "json" in content_type:
        return bool(_JSON_NUL.search(body))
    return bool(_PERCENT_NUL.search(body))


class NulByteGuardMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if has_nul(request):
            from qaryz.core.middleware import error_response, is_api_request

            if is_api_request(request):
                return JsonResponse(
                    {
                        "error": "bad_request",
                        "reference": get_request_id(),
                        "detail": _("The request holds a NUL character, which no field accepts."),
                    },
                    status=400,
                )
            return error_response(request, 400)
        return self.get_response(request)
