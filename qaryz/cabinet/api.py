"""Mobile API of the cabinet shell, mounted under /api/v1/cabinet/ by qaryz.api.api (R-CH-1):
the MFO's details (R-CAB-2), the client's profile with the payout bank details shown on the
cabinet's home page, and the preferred language (the cabinet's language switch).

GET  mfo        the MFO's details in the answer's language (Kazakh variants for kk)
GET  profile    name, phone, language, the current payout account (masked)
POST language   the client's preferred language for notifications, letters and SMS
"""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest
from django.utils import translation
from ninja import Field, Router, Schema

from qaryz.access.api_auth import ClientBearer, answer_language
from qaryz.clients.selectors import current_bank_account
from qaryz.core.selectors import mfo_profile_in

router = Router(tags=["cabinet"])


class MfoOut(Schema):
    language: str = Field(..., description="the language of the texts below")
    short_name: str
    legal_name: str
    bin: str
    first_head_full_name: str
    legal_address: str
    actual_address: str
    phones: str
    fax: str
    email: str
    website: str
    other_contacts: str
    licence: str


class BankAccountOut(Schema):
    kind: str = Field(..., description="iban or card")
    kind_label: str
    masked: str


class ProfileOut(Schema):
    id: int
    kind: str
    kind_label: str
    status: str
    status_label: str
    display_name: str
    phone: str
    preferred_language: str
    bank_account: BankAccountOut | None = Field(None, description="where payouts and refunds go")


class LanguageIn(Schema):
    language: Literal["ru", "kk", "en"]


def _profile(client: object) -> dict:
    account = current_bank_account(client)
    return {
        "id": client.pk,
        "kind": client.kind,
        "kind_label": str(client.get_kind_display()),
        "status": client.status,
        "status_label": str(client.get_status_display()),
        "display_name": client.display_name,
        "phone": client.phone,
        "preferred_language": client.preferred_language,
        "bank_account": (
            {"kind": account.kind, "kind_label": str(account.get_kind_display()), "masked": account.masked}
            if account is not None
            else None
        ),
    }


@router.get(
    "/mfo",
    response=MfoOut,
    auth=ClientBearer(allow_unconfirmed=True),
    summary="The MFO's details (R-CAB-2), as on the cabinet's \"About the MFO\" page",
)
def mfo(request: HttpRequest) -> dict:
    with answer_language(request):
        language = translation.get_language()
        profile = mfo_profile_in(language)
    return {
        "language": language,
        **{name: getattr(profile, name) or "" for name in MfoOut.model_fields if name != "language"},
    }


@router.get("/profile", response=ProfileOut, auth=ClientBearer(), summary="The client's profile")
def profile(request: HttpRequest) -> dict:
    with answer_language(request):
        return _profile(request.auth)


@router.post(
    "/language",
    response=ProfileOut,
    auth=ClientBearer(),
    summary="Set the preferred language of notifications, letters and SMS (ru, kk or en)",
)
def set_language(request: HttpRequest, payload: LanguageIn) -> dict:
    from qaryz.clients.services import update_client

    client = request.auth
    if client.preferred_language != payload.language:
        client = update_client(client, actor=client, preferred_language=payload.language)
    with translation.override(payload.language):
        return _profile(client)
