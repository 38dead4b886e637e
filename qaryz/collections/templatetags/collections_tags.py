"""Collections panels included in other rooms' pages: the changed-terms offer on the client's
loan page and the collection history / actions / write-off on the staff loan card."""

from __future__ import annotations

from django import template
from django.utils import timezone

from qaryz.collections import forms, selectors

register = template.Library()


@register.inclusion_tag("collections/_offer.html", takes_context=True)
def changed_terms_offer(context, loan) -> dict:
    window = selectors.changed_terms_window(loan) if loan.status == "active" else None
    today = timezone.localdate()
    return {
        "loan": loan,
        "window": window,
        "can_ask": bool(window and window.allows(today)),
        "request": context.get("request"),
    }


@register.inclusion_tag("collections/_staff_panel.html", takes_context=True)
def collections_panel(context, loan) -> dict:
    request = context["request"]
    user = request.user
    today = timezone.localdate()
    return {
        "loan": loan,
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "actions": selectors.actions_of(loan),
        "write_offs": selectors.write_offs_of(loan),
        "requests": list(selectors.requests_of(loan)),
        "today": today,
        "suspended": loan.suspended_from is not None and loan.suspended_from <= today,
        "contact_allowed": selectors.contact_allowed(),
        "next_contact": _next_contact(),
        "can_act": user.has_perm("collections.log_collection_action") and loan.status == "active",
        "can_propose": user.has_perm("collections.propose_write_off") and loan.status == "active",
        "call_form": forms.CallForm(),
        "write_off_form": forms.WriteOffForm(),
    }


def _next_contact():
    try:
        return selectors.next_contact_time()
    except ValueError:  # a policy allowing no contact at all: nothing to show
        return None
