"""The workbench's queues: what waits for a staff member, per role, with a count (issue 14 item 1).

A room plugs its queue in from its ``AppConfig.ready`` (or any module imported at start-up)::

    from qaryz.backoffice.queues import register_queue

    register_queue(
        "antifraud_holds",
        gettext_lazy("Operations on hold (antifraud)"),
        "antifraud.view_alerts",
        lambda user: Hold.objects.filter(status="pending").count(),
        "antifraud:alerts",
    )

``count`` is called with the signed-in user and must be one set-based query (a ``.count()``);
``url`` is a URL name (reversed without arguments), a path ("/backoffice/…") or None when the
queue has no page yet.
Registering a key again replaces the earlier entry, so a room may take over a built-in queue.
The dashboard shows the queues the user's permissions allow, in registration order.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)

Counter = Callable[[Any], int]


@dataclass(frozen=True)
class Queue:
    key: str
    title: Any  # a lazy translation
    permission: str  # "app_label.codename"
    count: Counter
    url: str | None = None


@dataclass(frozen=True)
class QueueRow:
    key: str
    title: str
    count: int | None  # None: the count could not be read (shown as "—")
    href: str | None


_QUEUES: dict[str, Queue] = {}


def register_queue(key: str, title: Any, permission: str, count: Counter, url: str | None = None) -> None:
    """Add (or replace) a queue on the workbench dashboard."""
    _QUEUES[key] = Queue(key, title, permission, count, url)


def registered() -> list[Queue]:
    return list(_QUEUES.values())


def queues_for(user: Any) -> list[QueueRow]:
    """The queues ``user`` may see with their counts; one query per queue."""
    rows = []
    for queue in _QUEUES.values():
        if not user.has_perm(queue.permission):
            continue
        try:
            count: int | None = int(queue.count(user))
        except DatabaseError:  # a room's table missing or locked must not take the dashboard down
            log.exception("queue %s: count failed", queue.key)
            count = None
        href = _href(queue.url)
        rows.append(QueueRow(queue.key, str(queue.title), count, href))
    return rows


def _href(url: str | None) -> str | None:
    if not url or url.startswith("/"):
        return url or None
    try:
        return reverse(url)
    except NoReverseMatch:
        return None


def _today() -> dt.date:
    return timezone.localdate()


# --- the queues of the rooms that exist today ------------------------------------------------------
def _underwriting(user: Any) -> int:
    from qaryz.lending.selectors import applications_in_review

    return applications_in_review().count()


def _aml(user: Any) -> int:
    from qaryz.compliance.selectors import screenings_pending_review

    return screenings_pending_review().count()


def _cash_desk(user: Any) -> int:
    from qaryz.backoffice.selectors import cash_desk_waiting

    return cash_desk_waiting().count()


def _letters(user: Any) -> int:
    from qaryz.correspondence.selectors import inbox

    return inbox("unanswered", user, _today()).count()


def _changed_terms(user: Any) -> int:
    from qaryz.collections.selectors import request_queue

    return request_queue("open").count()


def _write_offs(user: Any) -> int:
    from qaryz.collections.selectors import write_off_queue

    return write_off_queue().count()


def _fraud_cases(user: Any) -> int:
    from qaryz.fraudcases.selectors import cases

    return cases("open", _today()).count()


def _incidents(user: Any) -> int:
    from qaryz.incidents.selectors import open_incidents

    return open_incidents().count()


def _antifraud_holds(user: Any) -> int:
    from qaryz.antifraud.models import Hold

    return Hold.objects.filter(status=Hold.Status.PENDING).count()


def _antifraud_alerts(user: Any) -> int:
    from qaryz.antifraud.models import Alert

    return Alert.objects.filter(status=Alert.Status.OPEN).count()


def _suspense(user: Any) -> int:
    from qaryz.backoffice.selectors import suspense_waiting

    return suspense_waiting().count()


def _payout_approvals(user: Any) -> int:
    from qaryz.servicing.approvals import pending_approvals

    return pending_approvals().count()


def register_builtin() -> None:
    """Called from ``BackofficeConfig.ready``."""
    register_queue(
        "underwriting",
        _("Applications in manual review"),
        "lending.view_application",
        _underwriting,
        "backoffice:review-queue",
    )
    register_queue(
        "aml", _("AML: possible list matches"), "compliance.view_case", _aml, "backoffice:aml-queue"
    )
    register_queue(
        "cash_desk",
        _("Cash payouts at the desk"),
        "servicing.disburse_cash",
        _cash_desk,
        "backoffice:cash-desk",
    )
    register_queue(
        "payout_approvals",
        _("Payouts awaiting second approval"),
        "servicing.approve_payout",
        _payout_approvals,
        "backoffice:payout-approvals",
    )
    register_queue(
        "suspense", _("Unidentified payments"), "servicing.post_payment", _suspense, "servicing:suspense"
    )
    register_queue(
        "letters",
        _("Clients' letters awaiting an answer"),
        "correspondence.view_thread",
        _letters,
        "correspondence_staff:inbox",
    )
    register_queue(
        "changed_terms",
        _("Requests for a delay or changed terms"),
        "collections.view_changedtermsrequest",
        _changed_terms,
        "backoffice:collections-requests",
    )
    register_queue(
        "write_offs",
        _("Write-offs awaiting approval"),
        "collections.view_writeoffdecision",
        _write_offs,
        "backoffice:collections-write-offs",
    )
    register_queue(
        "fraud_cases",
        _("Fraud-victim cases with an open step"),
        "fraudcases.view_fraudcase",
        _fraud_cases,
        "fraudcases:cases",
    )
    register_queue(
        "incidents", _("Open incidents"), "incidents.view_incident", _incidents, "incidents:incidents"
    )
    register_queue(
        "antifraud_holds",
        _("Operations on hold (antifraud)"),
        "antifraud.view_alerts",
        _antifraud_holds,
        "antifraud:alerts",
    )
    register_queue(
        "antifraud_alerts",
        _("Open antifraud alerts"),
        "antifraud.view_alerts",
        _antifraud_alerts,
        "antifraud:alerts",
    )
