"""The client cabinet shell: home (with the latest applications), the MFO's details (R-CAB-2),
notifications (R-AUTH-6)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from qaryz.access.decorators import client_required
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
