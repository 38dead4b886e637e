"""The only writers of the collections room: delay notices as letters, changed-terms requests and
their answers, collection actions, write-off by decision (maker–checker) and the closing letter.

Refusals raise ``CollectionsError`` with a translated ``message`` (and ``field``): pages show it,
the API answers 422. Every write is audited (``record_event``).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qaryz.collections import selectors
from qaryz.collections.models import ChangedTermsRequest, CollectionAction, WriteOffDecision
from qaryz.core.money import format_money
from qaryz.records.services import record_event
from qaryz.servicing import ledger
from qaryz.servicing.amounts import to_kzt
from qaryz.servicing.ledger import Leg
from qaryz.servicing.models import AccountKind, DelayNotice, Loan

logger = logging.getLogger("qaryz.collections")

# Every receivable of a loan, in the order a write-off lists them.
RECEIVABLES = [
    AccountKind.PRINCIPAL_CURRENT,
    AccountKind.PRINCIPAL_OVERDUE,
    AccountKind.INTEREST_ACCRUED,
    AccountKind.INTEREST_OVERDUE,
    AccountKind.PENALTY,
    AccountKind.FEE_OVERDUE,
]


class CollectionsError(Exception):
    """A collections operation refused; ``message`` is translated and shown to the user."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _d(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


def _money(tiyn: int) -> str:
    return format_money(to_kzt(tiyn), translation.get_language() or "ru")


def loan_reference(loan: Loan) -> str:
    return f"servicing.loan:{loan.pk}"


def _letter(loan: Loan, *, kind: str, render, sms: bool | None = None):
    """Render (subject, body) in the client's language and send it as a letter; the SMS that
    announces it only within permitted contact hours (the letter is in the cabinet anyway)."""
    from qaryz.messaging.letters import send_letter

    client = loan.client
    with translation.override(client.preferred_language or "ru"):
        subject, body = render()
    if sms is None:
        sms = selectors.contact_allowed()
    return send_letter(client, kind=kind, subject=subject, body=body, reference=loan_reference(loan), sms=sms)


# --- delay notices ------------------------------------------------------------------------------


def delay_notice_text(notice: DelayNotice, sent_on: dt.date) -> tuple[str, str]:
    """Subject and body of the delay notice in the active language: what is overdue, how to pay,
    and the borrower's right to ask for changed terms within the window (Law on microfinance,
    Art. 9-2; DOMAIN.md)."""
    loan = notice.loan
    policy = selectors.policy_on(sent_on)
    overdue = loan.principal_overdue + loan.interest_overdue + loan.fee_overdue + loan.penalty
    subject = _("Notice of a delay in your loan payments")
    first = _(
        "The payment under contract %(number)s was due and is not paid: %(amount)s is overdue since "
        "%(since)s. A penalty accrues for each day of delay. Please pay using the payment reference "
        "%(reference)s."
    ) % {
        "number": loan.number,
        "amount": _money(overdue),
        "since": _d(notice.overdue_since),
        "reference": loan.payment_reference,
    }
    second = _(
        "You have the right, within %(days)s calendar days of this notice (until %(until)s inclusive), "
        "to ask us to change the terms of your loan: a new term, a lower instalment or a payment "
        "holiday. Send the request on the loan's page in your web cabinet or in the mobile app. We "
        "will answer within %(answer)s calendar days."
    ) % {
        "days": policy.changed_terms_window_days,
        "until": _d(sent_on + dt.timedelta(days=policy.changed_terms_window_days)),
        "answer": policy.answer_deadline_days,
    }
    return subject, f"{first}\n\n{second}"


def send_queued_delay_notices(now: dt.datetime | None = None) -> int:
    """Send the queued delay notices as letters (PDF in the client's language, vault copy with
    receipt, cabinet, SMS), earliest deadline first – only within permitted contact hours; outside
    them nothing is sent and the caller schedules the next run (``next_contact_time``). A notice
    of a suspended loan waits (collection is suspended, Rules §13). Returns the number sent."""
    now = now or timezone.now()
    if not selectors.contact_allowed(now):
        return 0
    sent_on = timezone.localdate(now)
    sent = 0
    queued = (
        DelayNotice.objects.filter(status=DelayNotice.Status.QUEUED, loan__suspended_from__isnull=True)
        .order_by("deadline", "id")
        .values_list("id", flat=True)
    )
    for notice_id in list(queued):
        with transaction.atomic():
            notice = (
                DelayNotice.objects.select_for_update()
                .select_related("loan__client")
                .filter(pk=notice_id, status=DelayNotice.Status.QUEUED)
                .first()
            )
            if notice is None:  # sent meanwhile by another delivery of the job
                continue
            letter = _letter(
                notice.loan,
                kind="delay_notice",
                render=lambda n=notice: delay_notice_text(n, sent_on),
                sms=True,
            )
            notice.status = DelayNotice.Status.SENT
            notice.sent_at = now
            notice.letter = letter
            notice.save(update_fields=["status", "sent_at", "letter"])
            record_event(
                "servicing.delay_notice_sent",
                actor="system",
                target=notice.loan,
                data={
                    "overdue_since": notice.overdue_since.isoformat(),
                    "deadline": notice.deadline.isoformat(),
                    "sent_on": sent_on.isoformat(),
                    "late": sent_on > notice.deadline,
                    "letter": letter.pk,
                    "document": str(letter.document_id),
                },
            )
            if sent_on > notice.deadline:
                logger.warning(
                    "Delay notice of loan %s sent after its deadline %s", notice.loan_id, notice.deadline
                )
            sent += 1
    return sent


def notice_deadline(overdue_since: dt.date) -> dt.date:
    """The last day to send the notice of a delay starting ``overdue_since``: within the policy's
    calendar days of the delay (day 1 is ``overdue_since``)."""
    days = selectors.policy_on(overdue_since).notice_deadline_days
    return overdue_since + dt.timedelta(days=days - 1)


# --- changed-terms requests -----------------------------------------------------------------------


def request_changed_terms(
    loan: Loan,
    *,
    wish: str,
    explanation: str = "",
    channel: str = ChangedTermsRequest.Channel.WEB,
    actor: Any = None,
    on: dt.date | None = None,
) -> ChangedTermsRequest:
    """The borrower asks for changed terms within the window after the delay notice. Creates the
    back-office case with its answer deadline (policy in force on the day received)."""
    from qaryz.servicing.models import Restructuring

    on = on or timezone.localdate()
    if wish not in Restructuring.Kind.values:
        raise CollectionsError(_("Choose what you would like to change."), "wish")
    explanation = (explanation or "").strip()
    if len(explanation) > 2000:
        raise CollectionsError(_("The explanation is too long (2,000 characters at most)."), "explanation")
    with transaction.atomic():
        locked = Loan.objects.select_for_update().get(pk=loan.pk)
        if locked.status != Loan.Status.ACTIVE:
            raise CollectionsError(_("Changed terms can be asked for only while the loan is being repaid."))
        window = selectors.changed_terms_window(locked)
        if window.notice is None:
            raise CollectionsError(
                _("Changed terms can be asked for after a notice of a delay; this loan has had no delay.")
            )
        if window.existing is not None:
            raise CollectionsError(
                _("You already asked for changed terms on %(day)s; we will answer by %(due)s.")
                % {"day": _d(window.existing.received_on), "due": _d(window.existing.answer_due)}
            )
        if not window.allows(on):
            raise CollectionsError(
                _(
                    "The time to ask for changed terms has passed: it was %(days)s calendar days from the "
                    "notice of %(notice)s, until %(until)s. Please contact us to discuss your payments."
                )
                % {
                    "days": (window.last_day - window.opens_on).days,
                    "notice": _d(window.opens_on),
                    "until": _d(window.last_day),
                }
            )
        policy = selectors.policy_on(on)
        try:
            with transaction.atomic():
                request = ChangedTermsRequest.objects.create(
                    loan=locked,
                    notice=window.notice,
                    channel=channel,
                    wish=wish,
                    explanation=explanation,
                    received_on=on,
                    answer_due=on + dt.timedelta(days=policy.answer_deadline_days),
                )
        except IntegrityError:
            raise CollectionsError(_("You already asked for changed terms after this notice.")) from None
        record_event(
            "collections.changed_terms_requested",
            actor=actor or locked.client,
            target=locked,
            data={
                "request": request.pk,
                "wish": wish,
                "channel": channel,
                "answer_due": request.answer_due.isoformat(),
            },
        )
    return request


def _open_request(request: ChangedTermsRequest) -> ChangedTermsRequest:
    locked = ChangedTermsRequest.objects.select_for_update().select_related("loan__client").get(pk=request.pk)
    if locked.status != ChangedTermsRequest.Status.OPEN:
        raise CollectionsError(_("This request has already been answered."))
    return locked


def approve_changed_terms(
    request: ChangedTermsRequest,
    *,
    staff: Any,
    kind: str,
    term_months: int | None = None,
    holiday_months: int = 0,
    max_instalment: int | None = None,
) -> ChangedTermsRequest:
    """Approve: a restructuring draft (servicing.restructuring) the client signs like the
    contract, and a letter telling the client. A refusal of the draft (e.g. overdue interest
    still unpaid) refuses the approval with servicing's message; the request stays open."""
    from qaryz.servicing import restructuring
    from qaryz.servicing.services import ServicingError

    with transaction.atomic():
        locked = _open_request(request)
        try:
            draft = restructuring.propose_restructuring(
                locked.loan,
                kind=kind,
                term_months=term_months,
                holiday_months=holiday_months,
                max_instalment=max_instalment,
                actor=staff,
            )
        except ServicingError as exc:
            raise CollectionsError(exc.message, exc.field) from None
        locked.status = ChangedTermsRequest.Status.APPROVED
        locked.answered_at = timezone.now()
        locked.answered_by = staff
        locked.restructuring = draft
        locked.letter = _letter(
            locked.loan, kind="changed_terms_approved", render=lambda: _approved_text(locked)
        )
        locked.save()
        record_event(
            "collections.changed_terms_approved",
            actor=staff,
            target=locked.loan,
            data={"request": locked.pk, "restructuring": draft.number, "kind": kind},
        )
    return locked


def _approved_text(request: ChangedTermsRequest) -> tuple[str, str]:
    return _("Your request for changed terms is approved"), _(
        "We have approved your request of %(day)s to change the terms of contract %(number)s. A "
        "supplementary agreement %(agreement)s with the new schedule is ready: sign it in your web "
        "cabinet or in the mobile app today – it is built for today's balance. Until it is signed the "
        "current schedule applies."
    ) % {
        "day": _d(request.received_on),
        "number": request.loan.number,
        "agreement": request.restructuring.number if request.restructuring else "",
    }


def refuse_changed_terms(request: ChangedTermsRequest, *, staff: Any, reason: str) -> ChangedTermsRequest:
    """Refuse with a reason: the client gets it in writing."""
    reason = (reason or "").strip()
    if not reason:
        raise CollectionsError(
            _("Give the reason for the refusal: the client receives it in writing."), "reason"
        )
    with transaction.atomic():
        locked = _open_request(request)
        locked.status = ChangedTermsRequest.Status.REFUSED
        locked.answered_at = timezone.now()
        locked.answered_by = staff
        locked.refusal_reason = reason[:2000]

        def text() -> tuple[str, str]:
            return _("Your request for changed terms is refused"), _(
                "We have considered your request of %(day)s to change the terms of contract %(number)s "
                "and cannot accept it. Reason: %(reason)s\n\nThe current schedule applies. Please pay "
                "the overdue amount using the payment reference %(reference)s or contact us."
            ) % {
                "day": _d(locked.received_on),
                "number": locked.loan.number,
                "reason": locked.refusal_reason,
                "reference": locked.loan.payment_reference,
            }

        locked.letter = _letter(locked.loan, kind="changed_terms_refused", render=text)
        locked.save()
        record_event(
            "collections.changed_terms_refused",
            actor=staff,
            target=locked.loan,
            data={"request": locked.pk, "reason": locked.refusal_reason},
        )
    return locked


# --- collection actions ----------------------------------------------------------------------------


def check_collection_allowed(loan: Loan, moment: dt.datetime | None = None) -> None:
    """Refuses a collection contact: the loan is not being repaid, collection is suspended (a
    fraud-victim case, Rules §13), or it is outside the permitted contact hours."""
    moment = moment or timezone.now()
    today = timezone.localdate(moment)
    if loan.suspended_from is not None and loan.suspended_from <= today:
        raise CollectionsError(
            _("Collection is suspended for this loan from %(day)s (%(reason)s): no reminders or calls.")
            % {"day": _d(loan.suspended_from), "reason": loan.suspension_reason or "—"}
        )
    if loan.status != Loan.Status.ACTIVE:
        raise CollectionsError(_("Collection actions are possible only for a loan being repaid."))
    if not selectors.contact_allowed(moment):
        policy = selectors.policy_on(today)
        nxt = selectors.next_contact_time(moment)
        raise CollectionsError(
            _(
                "Borrowers may be contacted only from %(start)s to %(end)s on permitted days. "
                "The next permitted time is %(next)s."
            )
            % {
                "start": policy.contact_from.strftime("%H:%M"),
                "end": policy.contact_until.strftime("%H:%M"),
                "next": nxt.strftime("%d.%m.%Y %H:%M"),
            }
        )


def reminder_text(loan: Loan) -> str:
    overdue = loan.principal_overdue + loan.interest_overdue + loan.fee_overdue + loan.penalty
    return _(
        "Reminder: under contract %(number)s %(amount)s is overdue. Please pay using the payment "
        "reference %(reference)s."
    ) % {"number": loan.number, "amount": _money(overdue), "reference": loan.payment_reference}


def log_action(
    loan: Loan,
    *,
    staff: Any,
    kind: str,
    outcome: str = "",
    note: str = "",
    promised_on: dt.date | None = None,
    now: dt.datetime | None = None,
) -> CollectionAction:
    """Send an SMS reminder (``kind`` reminder) or log a call with its outcome and note."""
    from qaryz.messaging.services import send_sms

    now = now or timezone.now()
    note = (note or "").strip()[:2000]
    if kind not in CollectionAction.Kind.values:
        raise CollectionsError(_("Choose the kind of action."), "kind")
    if kind == CollectionAction.Kind.CALL and outcome not in CollectionAction.Outcome.values:
        raise CollectionsError(_("Choose the outcome of the call."), "outcome")
    if kind == CollectionAction.Kind.CALL and outcome in (
        CollectionAction.Outcome.SENT,
        CollectionAction.Outcome.NOT_DELIVERED,
    ):
        raise CollectionsError(_("Choose the outcome of the call."), "outcome")
    if promised_on is not None and promised_on < timezone.localdate(now):
        raise CollectionsError(_("The promised date cannot be in the past."), "promised_on")
    with transaction.atomic():
        locked = Loan.objects.select_for_update().select_related("client").get(pk=loan.pk)
        check_collection_allowed(locked, now)
        if kind == CollectionAction.Kind.REMINDER:
            with translation.override(locked.client.preferred_language or "ru"):
                text = reminder_text(locked)
            delivery = send_sms(locked.client.phone, text, purpose="collection_reminder")
            outcome = (
                CollectionAction.Outcome.SENT
                if delivery.status == delivery.Status.SENT
                else CollectionAction.Outcome.NOT_DELIVERED
            )
        action = CollectionAction.objects.create(
            loan=locked,
            kind=kind,
            outcome=outcome,
            note=note,
            promised_on=promised_on if outcome == CollectionAction.Outcome.PROMISE else None,
            staff=staff,
            at=now,
        )
        record_event(
            "collections.action_logged",
            actor=staff,
            target=locked,
            data={"action": action.pk, "kind": kind, "outcome": outcome},
        )
    return action


# --- write-off (maker–checker) -----------------------------------------------------------------------


def receivables(loan: Loan) -> dict[str, int]:
    return {str(kind): int(getattr(loan, kind)) for kind in RECEIVABLES}


def propose_write_off(loan: Loan, *, reason: str, maker: Any, source: str = "") -> WriteOffDecision:
    """The maker proposes writing the loan's debt off, with the amounts owed now. Another staff
    member approves it (``approve_write_off``). ``source`` names the case behind it, e.g.
    ``fraud_case:<id>`` (R-FRAUD-4)."""
    reason = (reason or "").strip()
    if not reason:
        raise CollectionsError(_("Give the reason for the write-off."), "reason")
    with transaction.atomic():
        locked = Loan.objects.select_for_update().get(pk=loan.pk)
        if locked.status != Loan.Status.ACTIVE:
            raise CollectionsError(_("Only a loan being repaid can be written off."))
        amounts = receivables(locked)
        if not any(amounts.values()):
            raise CollectionsError(_("Nothing is owed on this loan: there is nothing to write off."))
        if WriteOffDecision.objects.filter(loan=locked, status=WriteOffDecision.Status.PROPOSED).exists():
            raise CollectionsError(_("A write-off of this loan is already awaiting approval."))
        try:
            with transaction.atomic():
                decision = WriteOffDecision.objects.create(
                    loan=locked, reason=reason[:2000], source=source[:80], amounts=amounts, maker=maker
                )
        except IntegrityError:
            raise CollectionsError(_("A write-off of this loan is already awaiting approval.")) from None
        record_event(
            "collections.write_off_proposed",
            actor=maker,
            target=locked,
            data={"decision": decision.pk, "amounts": amounts, "source": source, "reason": decision.reason},
        )
    return decision


def approve_write_off(decision: WriteOffDecision, *, checker: Any) -> None:
    """The checker (never the maker) approves: every remaining receivable moves to the write-off
    account (``ledger.post``, one entry ``wo:<decision>``), an advance held becomes a refund
    payable, the loan is written off (status ``written_off``, closed today), the documents'
    retention clock starts (R-ARCH-1) and the client is told in writing."""
    from qaryz.servicing.close_of_day import start_retention_clock

    if not getattr(checker, "has_perm", None) or not checker.has_perm("collections.approve_write_off"):
        raise CollectionsError(_("You may not approve write-offs."))
    today = timezone.localdate()
    with transaction.atomic():
        locked = WriteOffDecision.objects.select_for_update().get(pk=decision.pk)
        if locked.status != WriteOffDecision.Status.PROPOSED:
            raise CollectionsError(_("This write-off has already been decided."))
        if locked.maker_id == checker.pk:
            raise CollectionsError(
                _("A write-off must be approved by someone other than the person who proposed it.")
            )
        loan = Loan.objects.select_for_update().select_related("client", "contract").get(pk=locked.loan_id)
        if loan.status != Loan.Status.ACTIVE:
            raise CollectionsError(_("Only a loan being repaid can be written off."))
        amounts = receivables(loan)
        advance = loan.advance
        legs = [Leg(AccountKind.WRITE_OFF, kind, amounts[str(kind)]) for kind in RECEIVABLES]
        legs.append(Leg(AccountKind.ADVANCE, AccountKind.REFUND_PAYABLE, advance))
        ledger.post(loan, legs, key=f"wo:{locked.pk}", kind="write_off", value_date=today)
        loan.status = Loan.Status.WRITTEN_OFF
        loan.closed_on = today
        loan.cur_number = loan.cur_start = loan.cur_due = None
        loan.cur_interest = 0
        loan.save()
        locked.status = WriteOffDecision.Status.APPROVED
        locked.checker = checker
        locked.decided_at = timezone.now()
        locked.written_off = {**amounts, "advance_to_refund": advance}
        locked.save()
        start_retention_clock(loan, today)
        record_event(
            "collections.write_off_approved",
            actor=checker,
            target=loan,
            data={
                "decision": locked.pk,
                "written_off": amounts,
                "maker": locked.maker_id,
                "source": locked.source,
            },
        )

    def text() -> tuple[str, str]:
        total = sum(amounts.values())
        return _("Your loan debt is written off"), _(
            "By the decision of %(day)s the MFO has written off your debt under contract %(number)s: "
            "%(amount)s. You owe nothing more under this contract.%(refund)s"
        ) % {
            "day": _d(today),
            "number": loan.number,
            "amount": _money(total),
            "refund": (
                " "
                + _("The %(amount)s you paid ahead will be refunded to you.")
                % {"amount": _money(loan.refund_payable)}
            )
            if loan.refund_payable
            else "",
        }

    # The letter after the money moved: a failure to render it must not undo the decision.
    try:
        letter = _letter(loan, kind="write_off", render=text)
    except Exception:
        logger.exception("Write-off letter for loan %s failed", loan.pk)
        return
    WriteOffDecision.objects.filter(pk=locked.pk).update(letter=letter)


def reject_write_off(decision: WriteOffDecision, *, checker: Any, reason: str = "") -> None:
    """The checker rejects the proposal; nothing moves."""
    with transaction.atomic():
        locked = WriteOffDecision.objects.select_for_update().get(pk=decision.pk)
        if locked.status != WriteOffDecision.Status.PROPOSED:
            raise CollectionsError(_("This write-off has already been decided."))
        if locked.maker_id == checker.pk:
            raise CollectionsError(
                _("A write-off must be decided by someone other than the person who proposed it.")
            )
        locked.status = WriteOffDecision.Status.REJECTED
        locked.checker = checker
        locked.decided_at = timezone.now()
        locked.save()
        record_event(
            "collections.write_off_rejected",
            actor=checker,
            target=locked.loan,
            data={"decision": locked.pk, "reason": (reason or "").strip()[:500]},
        )


# --- closure -----------------------------------------------------------------------------------------


def send_closing_letter(loan: Loan) -> bool:
    """The client is told in writing that the loan is repaid (once per loan). Returns True when sent."""
    from qaryz.messaging.models import Letter

    if Letter.objects.filter(kind="loan_closed", reference=loan_reference(loan)).exists():
        return False

    def text() -> tuple[str, str]:
        body = _(
            "Your loan under contract %(number)s is repaid in full on %(day)s. You owe nothing more "
            "under this contract."
        ) % {"number": loan.number, "day": _d(loan.closed_on or timezone.localdate())}
        if loan.refund_payable:
            body += " " + _("The %(amount)s you paid ahead will be refunded to you.") % {
                "amount": _money(loan.refund_payable)
            }
        return _("Your loan is repaid"), body

    letter = _letter(loan, kind="loan_closed", render=text)
    record_event("collections.closing_letter_sent", actor="system", target=loan, data={"letter": letter.pk})
    return True


def send_closing_letters(day: dt.date) -> int:
    """The closing letters of the loans CLOSED on ``day`` (a loop over those few loans only)."""
    sent = 0
    for loan in Loan.objects.filter(status=Loan.Status.CLOSED, closed_on=day).select_related("client"):
        try:
            sent += send_closing_letter(loan)
        except Exception:
            logger.exception("Closing letter for loan %s failed", loan.pk)
    return sent
