"""Reads of the collections room: the policy in force, permitted contact times, the changed-terms
window of a loan, and the lists the back office shows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from qaryz.collections.models import ChangedTermsRequest, CollectionAction, CollectionPolicy, WriteOffDecision
from qaryz.servicing.models import DelayNotice, Loan


def policy_on(day: dt.date) -> CollectionPolicy:
    """The policy in force on ``day``: the newest with effective_from <= day. The migration seeds
    one from 2000-01-01, so there is always one; unsaved defaults if an operator deleted them all."""
    found = CollectionPolicy.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
    return found or CollectionPolicy(effective_from=day)


def _local(moment: dt.datetime | None) -> dt.datetime:
    return timezone.localtime(moment or timezone.now())


def contact_allowed(moment: dt.datetime | None = None) -> bool:
    """May the MFO contact a borrower (SMS, call, letter announced by SMS) at ``moment``?"""
    local = _local(moment)
    policy = policy_on(local.date())
    return _allowed_day(policy, local.date()) and policy.contact_from <= local.time() < policy.contact_until


def _allowed_day(policy: CollectionPolicy, day: dt.date) -> bool:
    if day.isoweekday() not in policy.weekdays:
        return False
    if not policy.contact_on_holidays:
        from qaryz.core.workdays import default_calendar

        if default_calendar().holiday_name(day) is not None:
            return False
    return True


def next_contact_time(moment: dt.datetime | None = None) -> dt.datetime:
    """``moment`` itself when contacts are allowed, else the start of the next permitted window
    (each day under the policy in force that day; at most a year ahead)."""
    local = _local(moment)
    if contact_allowed(local):
        return local
    day = local.date()
    for offset in range(0, 366):
        candidate = day + dt.timedelta(days=offset)
        policy = policy_on(candidate)
        if not _allowed_day(policy, candidate):
            continue
        start = timezone.make_aware(dt.datetime.combine(candidate, policy.contact_from), local.tzinfo)
        if start > local:
            return start
    raise ValueError("the collection policy allows no contact within a year")


# --- changed terms --------------------------------------------------------------------------


@dataclass(frozen=True)
class ChangedTermsWindow:
    """Whether the borrower may ask for changed terms now, and until when."""

    notice: DelayNotice | None
    opens_on: dt.date | None
    last_day: dt.date | None
    existing: ChangedTermsRequest | None

    @property
    def open(self) -> bool:
        return self.notice is not None and self.existing is None and self.last_day is not None

    def allows(self, day: dt.date) -> bool:
        return self.open and self.last_day is not None and day <= self.last_day


def notice_day(notice: DelayNotice) -> dt.date:
    """The day the notice counts from: its sending, or the delay's start while it is queued."""
    return timezone.localdate(notice.sent_at) if notice.sent_at else notice.overdue_since


def changed_terms_window(loan: Loan) -> ChangedTermsWindow:
    """The latest delay notice of the loan and its window (``changed_terms_window_days`` of the
    policy in force on the notice day, counted from the day after it)."""
    notice = DelayNotice.objects.filter(loan=loan).order_by("-overdue_since").first()
    if notice is None:
        return ChangedTermsWindow(None, None, None, None)
    start = notice_day(notice)
    last = start + dt.timedelta(days=policy_on(start).changed_terms_window_days)
    existing = ChangedTermsRequest.objects.filter(notice=notice).first()
    return ChangedTermsWindow(notice, start, last, existing)


def requests_of(loan: Loan) -> QuerySet[ChangedTermsRequest]:
    return ChangedTermsRequest.objects.filter(loan=loan).order_by("-received_on", "-id")


def request_queue(status: str = "open") -> QuerySet[ChangedTermsRequest]:
    rows = ChangedTermsRequest.objects.select_related("loan__client", "answered_by", "restructuring")
    if status in ChangedTermsRequest.Status.values:
        rows = rows.filter(status=status)
    return rows.order_by("answer_due", "id")


# --- actions and write-offs ---------------------------------------------------------------------


def actions_of(loan: Loan, limit: int = 100) -> list[CollectionAction]:
    return list(CollectionAction.objects.filter(loan=loan).select_related("staff")[:limit])


def write_offs_of(loan: Loan) -> list[WriteOffDecision]:
    return list(WriteOffDecision.objects.filter(loan=loan).select_related("maker", "checker"))


def write_off_queue() -> QuerySet[WriteOffDecision]:
    return (
        WriteOffDecision.objects.filter(status=WriteOffDecision.Status.PROPOSED)
        .select_related("loan__client", "maker")
        .order_by("proposed_at", "id")
    )
