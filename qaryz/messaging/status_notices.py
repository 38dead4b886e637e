"""Notifications of status changes (R-CAB-4, R-AUTH-6): the application's review and result, the
contract signed, the payout made or failed, a payment received, the loan repaid.

Rooms call one function per event from the service that changes the status, inside its
transaction: the notice is delivered only after that transaction commits (a rolled-back change
notifies nobody), rendered in the client's language (``Client.preferred_language``), and at most
once per event (``Notification.key`` is unique), so a retried job or a repeated webhook notifies
once. Delivery never breaks the flow that triggered it (errors are logged).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from qaryz.core.bulk import insert_new_rows
from qaryz.messaging.models import Notification

logger = logging.getLogger("qaryz.messaging")
Render = Callable[[], tuple[str, str]]


def _language(client: Any) -> str:
    language = getattr(client, "preferred_language", "") or "ru"
    return language if language in ("ru", "kk", "en") else "ru"


def announce(client: Any, key: str, render: Render, *, sms: bool = False) -> None:
    """Notify ``client`` of the event ``key`` after the current transaction commits, once."""
    transaction.on_commit(lambda: _deliver(client, key, render, sms), robust=True)


def _deliver(client: Any, key: str, render: Render, sms: bool) -> Notification | None:
    if Notification.objects.filter(key=key).exists():
        return None
    with translation.override(_language(client)):
        subject, body = render()
    try:
        with transaction.atomic():
            note = Notification.objects.create(client=client, key=key[:120], subject=subject[:200], body=body)
    except IntegrityError:
        return None  # delivered concurrently
    from qaryz.messaging.services import send_push, send_sms

    if sms:
        send_sms(client.phone, f"{subject}. {body}", purpose="notification")
    send_push(client, subject, body, kind=key.split(":", 1)[0])
    return note


def _deliver_many(items: list[tuple[int, str, str, Render]]) -> int:
    """Deliver notices ``(client_id, language, key, render)`` not delivered yet: one query for the
    keys already delivered, one INSERT, one query for the push tokens."""
    done = set(
        Notification.objects.filter(key__in=[key for _c, _l, key, _r in items]).values_list("key", flat=True)
    )
    by_language: dict[str, list[tuple[int, str, Render]]] = {}
    for client_id, language, key, render in items:
        if key not in done:
            done.add(key)
            by_language.setdefault(language, []).append((client_id, key, render))
    notes = []
    for language, group in by_language.items():  # one language switch per language, not per item
        with translation.override(language):
            for client_id, key, render in group:
                subject, body = render()
                notes.append(
                    Notification(client_id=client_id, key=key[:120], subject=subject[:200], body=body)
                )
    insert_new_rows(notes)
    _push_many(notes)
    return len(notes)


def _push_many(notes: list[Notification]) -> None:
    """Push each notice to its client's app instances: one query for all the push tokens."""
    from qaryz.devices.selectors import push_tokens_by_client
    from qaryz.messaging.ports import PushDeliveryError
    from qaryz.messaging.services import push_service

    tokens = push_tokens_by_client({note.client_id for note in notes})
    if not tokens:
        return
    service = push_service()
    for note in notes:
        for token in tokens.get(note.client_id, ()):
            try:
                service.send(token, note.subject, note.body, data={"kind": note.key.split(":", 1)[0]})
            except PushDeliveryError as exc:
                logger.warning("Push to …%s failed: %s", token[-6:], exc)


# --- the events -------------------------------------------------------------------------------
def _money(tiyn: int) -> str:
    from decimal import Decimal

    from qaryz.core.money import format_money

    return format_money(Decimal(tiyn) / 100, translation.get_language() or "ru")


def _application_text(status: str, number: int, contract: str) -> tuple[str, str]:
    texts: dict[str, tuple[str, str]] = {
        "review": (
            _("Application under review"),
            _(
                "Your application No. %(number)s is being reviewed by our specialist. We will let you know the result."
            ),
        ),
        "approved": (
            _("Application approved"),
            _(
                "Your application No. %(number)s is approved. Open it in your cabinet to read and sign the contract."
            ),
        ),
        "declined": (
            _("Application declined"),
            _("Your application No. %(number)s is declined. The reason is shown in your cabinet."),
        ),
        "signed": (
            _("Contract signed"),
            _(
                "Contract %(contract)s for application No. %(number)s is signed. The money will be sent as you chose."
            ),
        ),
        "disbursed": (
            _("Microcredit paid out"),
            _("The money under contract %(contract)s has been paid out. The schedule is in your cabinet."),
        ),
        "cancelled": (
            _("Application cancelled"),
            _("Your application No. %(number)s is cancelled."),
        ),
    }
    subject, body = texts[status]
    return subject, body % {"number": number, "contract": contract or number}


APPLICATION_EVENTS = ("review", "approved", "declined", "signed", "disbursed", "cancelled")
SMS_EVENTS = ("approved", "declined", "disbursed")


def application_status(application: Any, status: str) -> None:
    """The application reached ``status`` (a lending ``Application.Status`` value)."""
    if status not in APPLICATION_EVENTS:
        return
    contract = (
        getattr(getattr(application, "contract", None), "number", "")
        if status in ("signed", "disbursed")
        else ""
    )
    number = application.pk
    announce(
        application.client,
        f"lending.application:{number}:{status}",
        lambda: _application_text(status, number, contract),
        sms=status in SMS_EVENTS,
    )


def payout_failed(loan: Any, payout_key: str) -> None:
    number = loan.number
    announce(
        loan.client,
        f"servicing.payout:{payout_key}:failed",
        lambda: (
            _("Payout not made"),
            _(
                "The bank did not accept the transfer under contract %(number)s. We will try again or contact you."
            )
            % {"number": number},
        ),
        sms=True,
    )


def payments_received(payments: list[tuple[Any, Any]]) -> None:
    """``(loan, payment)`` pairs just posted: one notice per payment, in the cabinet (no SMS per
    payment) and by push. Delivered by a job after the posting commits (``deliver_payment_notices``:
    in-process at once when embedded, on a Celery worker in production) – rendering and storing the
    texts is no part of the posting transaction."""
    items = [
        [
            loan.client.pk,
            _language(loan.client),
            f"servicing.payment:{payment.pk}:posted",
            loan.number,
            payment.amount,
            payment.value_date.isoformat(),
        ]
        for loan, payment in payments
    ]
    if items:
        from django.conf import settings

        from qaryz.messaging.tasks import deliver_payment_notices

        job = deliver_payment_notices.using(queue_name=getattr(settings, "QARYZ_NOTICE_QUEUE", "default"))
        transaction.on_commit(lambda: _enqueue(job, items), robust=True)


def _enqueue(job: Any, *args: Any) -> None:
    try:
        job.enqueue(*args)
    except Exception:  # a broker outage loses a notice, never the posting that committed
        logger.exception("Could not queue %s", job.name)


def deliver_payments_received(items: list[list[Any]]) -> int:
    """The job's work: ``items`` as queued by ``payments_received``."""
    import datetime as dt

    def render(number: str, amount: int, day: dt.date) -> Render:
        return lambda: (
            _("Payment received"),
            _("%(amount)s received for contract %(number)s (value date %(date)s).")
            % {"amount": _money(amount), "number": number, "date": day.strftime("%d.%m.%Y")},
        )

    return _deliver_many(
        [
            (client_id, language, key, render(number, amount, dt.date.fromisoformat(day)))
            for client_id, language, key, number, amount, day in items
        ]
    )


def loan_closed(loan: Any) -> None:
    number = loan.number
    announce(
        loan.client,
        f"servicing.loan:{loan.pk}:closed",
        lambda: (
            _("Loan repaid"),
            _("Contract %(number)s is fully repaid and closed. Thank you!") % {"number": number},
        ),
        sms=True,
    )
