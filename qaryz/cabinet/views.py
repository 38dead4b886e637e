"""The client cabinet shell: home (with the latest applications), the MFO's details (R-CAB-2),
notifications (R-AUTH-6)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from qaryz.access.decorators import client_required
from qaryz.access.services import web_session
from qaryz.clients.selectors import current_bank_account
from qaryz.lending.selectors import applications_of
from qaryz.messaging.selectors import notifications_for, unread_count
from qaryz.messaging.services import mark_read
from qaryz.servicing.selectors import loans_of, total_debt


@client_required
def home(request: HttpRequest) -> HttpResponse:
    client = request.client
    return render(
        request,
        "cabinet/home.html",
        {
            "client": client,
            "notifications": notifications_for(client, 10),
            "unread": unread_count(client),
            "bank": current_bank_account(client),
            "applications": applications_of(client)[:3],
            "loans": [(loan, total_debt(loan)) for loan in loans_of(client)[:3]],
        },
    )


@client_required(allow_unconfirmed=True)
def mfo_details(request: HttpRequest) -> HttpResponse:
    return render(request, "cabinet/mfo.html")


@client_required
def notifications(request: HttpRequest) -> HttpResponse:
    return render(
        request, "cabinet/notifications.html", {"notifications": notifications_for(request.client, 100)}
    )


@require_POST
@client_required
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    mark_read(request.client, notification_id)
    return redirect("cabinet:notifications")


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch; a signed-in client's choice also becomes their preferred
    language, in which notifications, letters and SMS are written from then on."""
    response = django_set_language(request)
    language = request.POST.get("language", "") if request.method == "POST" else ""
    session = web_session(request) if language in {code for code, _name in settings.LANGUAGES} else None
    if session is not None and session.client.preferred_language != language:
        from qaryz.clients.services import update_client

        update_client(session.client, actor=session.client, preferred_language=language)
    return response
