"""Read queries of the clients room used by views, the API and other rooms."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from qaryz.clients.models import BankAccount, Client


def client_by_phone(phone: str) -> Client | None:
    return Client.objects.filter(phone=phone).first()


def current_bank_account(client: Client) -> BankAccount | None:
    return BankAccount.objects.filter(client=client, is_current=True).first()


def search_clients(query: str = "") -> QuerySet[Client]:
    qs = Client.objects.order_by("-created_at")
    query = query.strip()
    if query:
        qs = qs.filter(
            Q(iin=query)
            | Q(bin=query)
            | Q(phone__endswith=query[-10:])
            | Q(surname__icontains=query)
            | Q(legal_name__icontains=query)
        )
    return qs
