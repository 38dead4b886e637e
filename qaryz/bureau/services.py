"""Writes of the bureau room: responsible persons (R-CB-1), the daily feed, suspension and correction
records (Rules §13), and sending what is pending through the bureau port.

Other rooms call exactly ``report_suspension`` and ``record_correction`` (the fraud-victim
workflow); ``send_feed`` runs nightly (``manage.py send_bureau_feed``, Celery beat).

Sending: pending records are claimed into a ``Batch`` row (status ``prepared``) in one short
transaction, then delivered through the port outside any transaction, then the answer is stored.
A failed or interrupted delivery leaves the batch prepared; the next run delivers it again with the
same batch id, which the bureau deduplicates – so nothing is marked sent that the bureau did not
acknowledge, and nothing is applied twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qaryz.bureau import feed
from qaryz.bureau.models import Batch, FeedDay, Record, ResponsiblePerson
from qaryz.bureau.ports import BatchAck, BureauError, BureauRefused, CreditBureauFeed, FeedBatch, FeedItem
from qaryz.records.services import record_event
from qaryz.servicing.models import Loan

# Reason codes of the bureau's rejections, in words (staff never read codes).
REASONS = {
    "invalid_subject": gettext_lazy("The borrower's IIN or BIN is not valid (wrong check digit)."),
    "negative_amount": gettext_lazy("An amount in the record is negative."),
    "unknown_status": gettext_lazy("The loan status is not one the bureau knows."),
    "unknown_kind": gettext_lazy("The type of record is not one the bureau knows."),
    "missing_contract": gettext_lazy("The contract number is missing."),
    "malformed": gettext_lazy("The record is incomplete or unreadable."),
    "debt_while_suspended": gettext_lazy("A suspended or corrected loan was reported with a debt."),
}
OTHER_REASON = gettext_lazy("The bureau rejected the record for a reason it did not name in a known form.")


def reason_in_words(code: str) -> str:
    return str(REASONS.get(code, OTHER_REASON))


class NoResponsiblePerson(Exception):
    """Nobody may send today: R-CB-1 requires the named person's account."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "Nobody is responsible for sending data to the credit bureau today: add a responsible "
                "person with an active bureau account before sending."
            )
        )


class FeedNotReady(Exception):
    """The close of business is not at the feed's date (the snapshot reads the loans' state)."""


@dataclass
class SendResult:
    batches: int = 0
    records: int = 0
    accepted: int = 0
    rejected: int = 0


@dataclass
class FeedResult:
    date: dt.date
    generated: bool
    records: int
    sent: SendResult


def bureau() -> CreditBureauFeed:
    """The adapter chosen by ``settings.BUREAU_FEED`` ("embedded" or "http")."""
    if settings.BUREAU_FEED == "http":
        from qaryz.bureau.adapters.http import HttpCreditBureau

        return HttpCreditBureau(
            settings.BUREAU_FEED_URL,
            token=settings.BUREAU_FEED_TOKEN,
            hmac_secret=settings.BUREAU_FEED_HMAC_SECRET,
            connect_timeout=settings.BUREAU_FEED_CONNECT_TIMEOUT,
            read_timeout=settings.BUREAU_FEED_READ_TIMEOUT,
            retries=settings.BUREAU_FEED_RETRIES,
        )
    from qaryz.bureau.adapters.embedded import EmbeddedCreditBureau

    return EmbeddedCreditBureau()


# --- R-CB-1: responsible persons --------------------------------------------------------------------


def active_reporter(on: dt.date) -> ResponsiblePerson | None:
    """The named person whose account sends loan data on ``on`` (the latest appointed, if several)."""
    return (
        ResponsiblePerson.objects.select_related("user")
        .filter(role=ResponsiblePerson.Role.REPORTER, active_from__lte=on, user__is_active=True)
        .filter(Q(active_to__isnull=True) | Q(active_to__gte=on))
        .order_by("-active_from", "id")
        .first()
    )


def appoint_responsible_person(
    user: AbstractBaseUser,
    *,
    account: str,
    actor: object,
    role: str = ResponsiblePerson.Role.REPORTER,
    active_from: dt.date | None = None,
    active_to: dt.date | None = None,
) -> ResponsiblePerson:
    """Add a named staff member's bureau account to the list (audited). With the embedded bureau
    the simulator opens the account too (what the bureau does when the MFO registers a person)."""
    account = (account or "").strip()
    if not getattr(user, "is_staff", False):
        raise ValidationError(_("Only a staff member can hold a bureau account."))
    if not account or len(account) > 100:
        raise ValidationError(_("Enter the bureau account (login), at most 100 characters."))
    if role not in ResponsiblePerson.Role.values:
        raise ValidationError(_("Choose a duty from the list."))
    active_from = active_from or timezone.localdate()
    if active_to is not None and active_to < active_from:
        raise ValidationError(_("The end of the period cannot be before its start."))
    with transaction.atomic():
        if ResponsiblePerson.objects.filter(account=account).exists():
            raise ValidationError(_("This bureau account already belongs to a person on the list."))
        person = ResponsiblePerson.objects.create(
            user=user, account=account, role=role, active_from=active_from, active_to=active_to
        )
        record_event(
            "bureau.responsible_person_added",
            actor=actor,
            target=person,
            data={"account": account, "user": user.get_username(), "role": role, "from": str(active_from)},
        )
    port = bureau()
    register = getattr(port, "register_account", None)
    if register is not None:
        register(account, user.get_full_name() or user.get_username())
    return person


def end_responsible_person(person: ResponsiblePerson, *, on: dt.date, actor: object) -> ResponsiblePerson:
    """The person's account is not used after ``on`` (kept in the list, R-CB-1)."""
    with transaction.atomic():
        locked = ResponsiblePerson.objects.select_for_update().get(pk=person.pk)
        if on < locked.active_from:
            raise ValidationError(_("The end of the period cannot be before its start."))
        locked.active_to = on
        locked.save(update_fields=["active_to"])
        record_event("bureau.responsible_person_ended", actor=actor, target=locked, data={"to": str(on)})
    return locked


# --- Rules §13: suspension and correction records -----------------------------------------------------


def _subject(loan: Loan) -> tuple[str, str]:
    client = loan.client
    return (client.iin, "iin") if client.iin else (client.bin or "", "bin")


def _one_off(loan: Loan, *, kind: str, status: str, reason: str, actor: object, source: str) -> Record:
    key = f"{kind}:{loan.pk}:{source}"[:200]
    existing = Record.objects.filter(source_key=key).first()
    if existing is not None:
        return existing
    subject_id, subject_kind = _subject(loan)
    try:
        with transaction.atomic():
            record = Record.objects.create(
                kind=kind,
                feed_date=timezone.localdate(),
                loan=loan,
                source_key=key,
                contract_number=loan.number,
                subject_id=subject_id,
                subject_kind=subject_kind,
                reported_status=status,
                final=status == Record.ReportedStatus.CLEARED,
                amount=loan.principal,
                disbursed_on=loan.disbursed_on,
                reason=(reason or "")[:300],
                created_at=timezone.now(),
            )
            record_event(
                f"bureau.{kind}_recorded",
                actor=actor,
                target=loan,
                data={"record": record.pk, "source": source, "reason": record.reason},
            )
    except IntegrityError:  # the same source recorded concurrently
        return Record.objects.get(source_key=key)
    transaction.on_commit(_send_soon)
    return record


def report_suspension(loan: Loan, *, actor: object, source: str = "") -> Record:
    """Tell the bureau at once that ``loan`` is suspended (a fraud-victim case, Rules §13): no debt,
    zero days past due. Idempotent: the same ``source`` (e.g. the case reference) gives one record.
    The daily feed reports the loan as suspended as long as ``Loan.suspended_from`` is set."""
    return _one_off(
        loan,
        kind=Record.Kind.SUSPENSION,
        status=Record.ReportedStatus.SUSPENDED,
        reason="",
        actor=actor,
        source=source,
    )


def record_correction(loan: Loan, *, reason: str, actor: object, source: str = "") -> Record:
    """Correct the client's credit history (Rules §13, court verdict): the loan has no debt and no
    days past due; from now on the daily feed reports it so. Idempotent per ``source``."""
    return _one_off(
        loan,
        kind=Record.Kind.CORRECTION,
        status=Record.ReportedStatus.CLEARED,
        reason=reason,
        actor=actor,
        source=source,
    )


def _send_soon() -> None:
    from qaryz.bureau.tasks import send_pending_records

    send_pending_records.enqueue()


# --- sending ------------------------------------------------------------------------------------------


def _item(row: Record) -> FeedItem:
    return FeedItem(
        key=str(row.pk),
        kind=row.kind,
        as_of=row.feed_date,
        contract_number=row.contract_number,
        subject_id=row.subject_id,
        subject_kind=row.subject_kind,
        status=row.reported_status,
        amount=row.amount,
        disbursed_on=row.disbursed_on,
        principal=row.principal,
        principal_overdue=row.principal_overdue,
        interest=row.interest,
        interest_overdue=row.interest_overdue,
        penalty=row.penalty,
        fees_overdue=row.fees_overdue,
        days_past_due=row.days_past_due,
        reason=row.reason,
    )


def _prepare(
    selection: Q, feed_day: FeedDay | None, person: ResponsiblePerson, adapter: str, size: int
) -> Batch | None:
    """Claim up to ``size`` unsent records into a new prepared batch (None when nothing is left)."""
    while True:
        with transaction.atomic():
            ids = list(
                Record.objects.filter(selection, batch__isnull=True)
                .order_by("id")
                .values_list("id", flat=True)[:size]
            )
            if not ids:
                return None
            batch = Batch.objects.create(
                batch_id=uuid.uuid4().hex,
                feed_day=feed_day,
                person=person,
                account=person.account,
                adapter=adapter,
            )
            claimed = Record.objects.filter(pk__in=ids, batch__isnull=True).update(batch=batch)
            if claimed:
                batch.records = claimed
                batch.save(update_fields=["records"])
                return batch
            batch.delete()  # another run claimed them first: look again


def _deliver(batch: Batch, port: CreditBureauFeed) -> BatchAck:
    """Send a prepared batch (again, with its own id) and store the answer. Raises BureauError."""
    items = tuple(_item(row) for row in Record.objects.filter(batch=batch).order_by("id"))
    Batch.objects.filter(pk=batch.pk).update(attempts=F("attempts") + 1)
    try:
        ack = port.submit_batch(FeedBatch(batch_id=batch.batch_id, account=batch.account, items=items))
    except BureauError as exc:
        Batch.objects.filter(pk=batch.pk).update(last_error=str(exc)[:300])
        with transaction.atomic():
            record_event(
                "bureau.batch_failed",
                actor="system",
                target=batch,
                data={
                    "batch_id": batch.batch_id,
                    "error": str(exc)[:300],
                    "refused": isinstance(exc, BureauRefused),
                },
            )
        raise
    with transaction.atomic():
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        if locked.status == Batch.Status.ACKNOWLEDGED:
            return ack  # stored by a concurrent delivery of the same batch
        rejected = {r.key: r for r in ack.results if not r.accepted}
        for key, result in rejected.items():  # a loop over the rejected records only
            Record.objects.filter(batch=locked, pk=int(key)).update(
                outcome=Record.Outcome.REJECTED,
                reject_code=result.reason[:40],
                reject_message=result.message[:300],
            )
        accepted = (
            Record.objects.filter(batch=locked, outcome=Record.Outcome.PENDING)
            .exclude(pk__in=[int(k) for k in rejected])
            .update(outcome=Record.Outcome.ACCEPTED)
        )
        locked.status = Batch.Status.ACKNOWLEDGED
        locked.reference = ack.reference[:64]
        locked.accepted, locked.rejected = accepted, len(rejected)
        locked.sent_at = timezone.now()
        locked.last_error = ""
        locked.save(update_fields=["status", "reference", "accepted", "rejected", "sent_at", "last_error"])
        record_event(
            "bureau.batch_acknowledged",
            actor="system",
            target=locked,
            data={
                "batch_id": locked.batch_id,
                "reference": locked.reference,
                "account": locked.account,
                "accepted": accepted,
                "rejected": len(rejected),
            },
        )
    return ack


def _send(
    selection: Q, feed_day: FeedDay | None, port: CreditBureauFeed, batch_size: int | None
) -> SendResult:
    person = active_reporter(timezone.localdate())
    if person is None:
        raise NoResponsiblePerson()
    size = max(1, batch_size or settings.BUREAU_FEED_BATCH_SIZE)
    result = SendResult()
    pending = Batch.objects.filter(status=Batch.Status.PREPARED, feed_day=feed_day)
    for batch in list(pending.order_by("id")):  # interrupted or failed earlier: the same ids again
        _count(result, batch, _deliver(batch, port))
    while (batch := _prepare(selection, feed_day, person, port.name, size)) is not None:
        _count(result, batch, _deliver(batch, port))
    return result


def _count(result: SendResult, batch: Batch, ack: BatchAck) -> None:
    result.batches += 1
    result.records += len(ack.results)
    result.rejected += sum(1 for r in ack.results if not r.accepted)
    result.accepted += sum(1 for r in ack.results if r.accepted)


def send_pending(*, port: CreditBureauFeed | None = None, batch_size: int | None = None) -> SendResult:
    """Send the suspension and correction records not yet acknowledged."""
    selection = ~Q(kind=Record.Kind.DAILY)
    return _send(selection, None, port or bureau(), batch_size)


def default_feed_date() -> dt.date:
    """The day whose close of business the nightly feed reports: yesterday."""
    return timezone.localdate() - dt.timedelta(days=1)


def _check_ready(day: dt.date) -> None:
    if day >= timezone.localdate():
        raise FeedNotReady(
            _("The feed for %(day)s can be sent only after that day has ended.") % {"day": day}
        )
    live = Loan.objects.filter(status=Loan.Status.ACTIVE, disbursed_on__lte=day, suspended_from__isnull=True)
    behind = live.filter(closed_through__lt=day).count()
    if behind:
        raise FeedNotReady(
            _("The close of business of %(day)s is not finished: %(count)s loans are not closed through it.")
            % {"day": day, "count": behind}
        )
    if live.filter(closed_through__gt=day).exists():
        raise FeedNotReady(
            _(
                "The close of business has already moved past %(day)s: the feed for that day can no "
                "longer be taken from the loans' balances."
            )
            % {"day": day}
        )


def generate_feed(day: dt.date, *, actor: object = "system") -> tuple[FeedDay, bool]:
    """The feed snapshot of ``day``, written once (set-based); returns (row, written now)."""
    with transaction.atomic():
        existing = FeedDay.objects.select_for_update().filter(date=day).first()
        if existing is not None:
            return existing, False
        _check_ready(day)
        try:
            with transaction.atomic():
                row = FeedDay.objects.create(date=day)
        except IntegrityError:  # generated concurrently
            return FeedDay.objects.get(date=day), False
        row.records = feed.insert_snapshot(day, timezone.now())
        row.save(update_fields=["records"])
        record_event(
            "bureau.feed_generated", actor=actor, target=row, data={"date": str(day), "records": row.records}
        )
    return row, True


def send_feed(
    day: dt.date | None = None,
    *,
    port: CreditBureauFeed | None = None,
    batch_size: int | None = None,
    actor: object = "system",
) -> FeedResult:
    """Generate (once) and send the feed of ``day`` (default: yesterday), then the pending one-off
    records. Idempotent per date: a second run sends nothing new; resumable after a failure.

    Raises NoResponsiblePerson (nobody active, nothing generated or sent), FeedNotReady, BureauError."""
    day = day or default_feed_date()
    if active_reporter(timezone.localdate()) is None:
        raise NoResponsiblePerson()
    port = port or bureau()
    feed_day, generated = generate_feed(day, actor=actor)
    sent = SendResult()
    if feed_day.status != FeedDay.Status.SENT:
        sent = _send(Q(kind=Record.Kind.DAILY, feed_date=day), feed_day, port, batch_size)
        with transaction.atomic():
            locked = FeedDay.objects.select_for_update().get(pk=feed_day.pk)
            unsent = Record.objects.filter(kind=Record.Kind.DAILY, feed_date=day, batch__isnull=True).exists()
            open_batches = Batch.objects.filter(feed_day=locked, status=Batch.Status.PREPARED).exists()
            if locked.status != FeedDay.Status.SENT and not unsent and not open_batches:
                locked.status = FeedDay.Status.SENT
                locked.completed_at = timezone.now()
                locked.save(update_fields=["status", "completed_at"])
                record_event(
                    "bureau.feed_sent",
                    actor=actor,
                    target=locked,
                    data={
                        "date": str(day),
                        "batches": sent.batches,
                        "accepted": sent.accepted,
                        "rejected": sent.rejected,
                    },
                )
            feed_day = locked
    extra = send_pending(port=port, batch_size=batch_size)
    sent.batches += extra.batches
    sent.records += extra.records
    sent.accepted += extra.accepted
    sent.rejected += extra.rejected
    return FeedResult(date=day, generated=generated, records=feed_day.records, sent=sent)
