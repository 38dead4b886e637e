"""Fraud-victim cases: the only writers of cases (Rules §13, R-FRAUD-1..4; docs/fraudcases.md).

- ``register_case``: a law-enforcement submission (CPC art. 200) or a resolution recognising the
  borrower as a victim (CPC art. 71), or the victim's own statement with it: the loans concerned,
  the documents in the vault (owner: the client), the suspension deadline, and the fraud finding
  reported to the incident register.
- ``suspend_case`` (within 3 working days of receipt, R-FRAUD-2): each active loan suspended
  (``servicing.suspension``: no accrual, nothing falls due; the collections room refuses actions
  for it), the suspension reported to the credit bureau, the client's written notice sent.
- ``resume_case`` (the submission/resolution cancelled, R-FRAUD-3): suspension ended, schedule
  moved by its length, interest for the suspended period only where the case decides it.
- ``record_verdict`` (a court verdict in force: the client did not receive the loan, R-FRAUD-4,
  within 15 working days): write-off proposed (collections, maker–checker), bureau correction (no
  debt, no days past due), everything paid refunded to the client's verified account, once.
- ``flag_overdue_steps``: the nightly check (one UPDATE per step).

The bureau and collections rooms are called through guarded imports: before they are installed
the call is skipped and the case records that (``Outcome.SKIPPED``), never pretends it was made.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from qaryz.fraudcases import deadlines
from qaryz.fraudcases.models import CaseDocument, CaseLoan, FraudCase, Outcome
from qaryz.records.services import record_event as audit
from qaryz.records.services import store_document
from qaryz.servicing.models import Loan, RefundPayout
from qaryz.servicing.services import ServicingError


def _optional_room(name: str) -> Any:
    """``qaryz.<name>.services`` when that room is installed here, else None (the guarded import:
    the bureau room, issue 12 part 2, and the collections room, parts 1 and 4, land separately).
    A room's code present but not in INSTALLED_APPS counts as absent (its models cannot load)."""
    from importlib import import_module

    from django.apps import apps
    from django.core.exceptions import AppRegistryNotReady

    try:
        if not apps.is_installed(f"qaryz.{name}"):
            return None
    except AppRegistryNotReady:
        pass
    try:
        return import_module(f"qaryz.{name}.services")
    except ImportError:
        return None


bureau = _optional_room("bureau")
collections = _optional_room("collections")

logger = logging.getLogger("qaryz.fraudcases")
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
DOCUMENT_TYPES = {"application/pdf", "image/jpeg", "image/png"}


class CaseError(Exception):
    """A case operation refused; ``message`` is translated and shown to staff."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes
    media_type: str
    description: str = ""


# --- deadline policy --------------------------------------------------------------------------
def suspension_rule() -> tuple[int, str]:
    kind = settings.FRAUD_SUSPENSION_DAY_KIND
    if kind not in deadlines.KINDS:
        raise ValueError("QARYZ_FRAUD_SUSPENSION_DAY_KIND must be 'working' or 'calendar'")
    return int(settings.FRAUD_SUSPENSION_DAYS), kind


def verdict_rule() -> tuple[int, str]:
    kind = settings.FRAUD_VERDICT_DAY_KIND
    if kind not in deadlines.KINDS:
        raise ValueError("QARYZ_FRAUD_VERDICT_DAY_KIND must be 'working' or 'calendar'")
    return int(settings.FRAUD_VERDICT_DAYS), kind


def _staff(actor: Any) -> Any:
    return actor if getattr(getattr(actor, "_meta", None), "label_lower", "") == "auth.user" else None


def _lock(case: FraudCase) -> FraudCase:
    return FraudCase.objects.select_for_update().select_related("client").get(pk=case.pk)


def _loans(case: FraudCase) -> list[CaseLoan]:
    return list(CaseLoan.objects.filter(case=case).select_related("loan").order_by("loan_id"))


def _kind_words(case: FraudCase) -> str:
    return str(FraudCase.Kind(case.kind).label)


def _date(day: dt.date) -> str:
    return date_format(day, "d.m.Y")


# --- registering ------------------------------------------------------------------------------
def register_case(
    *,
    client: Any,
    kind: str,
    received_on: dt.date,
    authority: str,
    reference_number: str,
    loans: Iterable[Loan],
    actor: Any,
    document_date: dt.date | None = None,
    summary: str = "",
    documents: Iterable[Upload] = (),
    unauthorised_access: bool = False,
    today: dt.date | None = None,
) -> FraudCase:
    """Register a case: its loans (the client's, none in another open case), its documents in the
    vault, its suspension deadline; the fraud (and any unauthorised access) reported as incidents."""
    from qaryz.incidents.services import report_incident

    today = today or timezone.localdate()
    if kind not in FraudCase.Kind.values:
        raise CaseError(_("Choose what was received."), "kind")
    if received_on > today:
        raise CaseError(_("The date received cannot be in the future."), "received_on")
    if document_date is not None and document_date > received_on:
        raise CaseError(_("The document cannot be dated after it was received."), "document_date")
    authority, reference_number = authority.strip(), reference_number.strip()
    if not authority or not reference_number:
        raise CaseError(_("Enter the authority and the document's reference number."), "authority")
    loans = list(loans)
    if not loans:
        raise CaseError(_("Name at least one loan of the client."), "loans")
    if any(loan.client_id != client.pk for loan in loans):
        raise CaseError(_("Every loan of a case must be the client's."), "loans")
    busy = CaseLoan.objects.filter(loan__in=loans).exclude(
        case__status__in=[FraudCase.Status.RESUMED, FraudCase.Status.CLOSED]
    )
    if busy.exists():
        raise CaseError(_("A loan named is already in an open fraud case."), "loans")
    uploads = list(documents)
    for upload in uploads:
        _check_upload(upload)
    days, day_kind = suspension_rule()
    with transaction.atomic():
        case = FraudCase.objects.create(
            number=f"tmp-{timezone.now().timestamp()}-{client.pk}",
            client=client,
            kind=kind,
            received_on=received_on,
            authority=authority[:200],
            reference_number=reference_number[:100],
            document_date=document_date,
            summary=summary.strip(),
            suspension_due=deadlines.deadline(received_on, days, day_kind),
            suspension_days=days,
            suspension_day_kind=day_kind,
            registered_by=_staff(actor),
        )
        case.number = f"FC-{received_on.year}-{case.pk:05d}"
        case.save(update_fields=["number"])
        CaseLoan.objects.bulk_create([CaseLoan(case=case, loan=loan) for loan in loans])
        for upload in uploads:
            _store(case, upload, actor)
        audit(
            "fraudcases.case_registered",
            actor=actor,
            target=case,
            data={
                "number": case.number,
                "kind": kind,
                "received_on": received_on.isoformat(),
                "loans": [loan.number for loan in loans],
                "suspension_due": case.suspension_due.isoformat(),
                "rule": f"{days} {day_kind}",
            },
        )
        with translation.override(settings.LANGUAGE_CODE):
            summary_text = _("%(kind)s No. %(reference)s of %(authority)s, case %(number)s") % {
                "kind": _kind_words(case),
                "reference": case.reference_number,
                "authority": case.authority,
                "number": case.number,
            }
        report_incident(kind="fraud", summary=summary_text, source=case.source, actor=actor)
        if unauthorised_access:
            report_incident(kind="unauthorised_access", summary=summary_text, source=case.source, actor=actor)
    return case


def sniff_media_type(content: bytes) -> str:
    """The media type from the file's first bytes (what the browser claims is not trusted)."""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return "application/octet-stream"


def _check_upload(upload: Upload) -> None:
    if not upload.content:
        raise CaseError(_("The file is empty."), "document")
    if len(upload.content) > MAX_DOCUMENT_BYTES:
        raise CaseError(_("The file is larger than 20 MB."), "document")
    if upload.media_type not in DOCUMENT_TYPES:
        raise CaseError(_("Upload a PDF, JPEG or PNG file."), "document")


def _store(case: FraudCase, upload: Upload, actor: Any) -> CaseDocument:
    document = store_document(
        upload.content,
        media_type=upload.media_type,
        kind="fraud_case_document",
        direction="inbound",
        owner=case.client,
        filename=upload.filename[:255],
        channel="backoffice",
        reference=case.reference,
    )
    return CaseDocument.objects.create(
        case=case,
        document_id=document.pk,
        filename=upload.filename[:255],
        description=upload.description[:200],
        uploaded_by=_staff(actor),
    )


def add_document(case: FraudCase, upload: Upload, *, actor: Any) -> CaseDocument:
    _check_upload(upload)
    with transaction.atomic():
        locked = _lock(case)
        row = _store(locked, upload, actor)
        audit("fraudcases.document_added", actor=actor, target=locked, data={"filename": row.filename})
    return row


# --- step 1: suspension (R-FRAUD-2) -----------------------------------------------------------
def _reason(case: FraudCase) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("Fraud-victim case %(number)s: %(kind)s No. %(reference)s of %(date)s") % {
            "number": case.number,
            "kind": _kind_words(case),
            "reference": case.reference_number,
            "date": _date(case.document_date or case.received_on),
        }


def suspend_case(case: FraudCase, *, actor: Any, on: dt.date | None = None) -> FraudCase:
    """Suspend every active loan of the case from ``on`` (default today), report the suspension to
    the credit bureau, send the client the written notice (PDF in the vault with its receipt,
    cabinet and SMS). Idempotent: a suspended case is returned as it is."""
    from qaryz.messaging.letters import send_letter
    from qaryz.messaging.services import in_language
    from qaryz.servicing.suspension import suspend_loan

    with transaction.atomic():
        locked = _lock(case)
        if locked.status != FraudCase.Status.REGISTERED:
            if locked.suspended_on is not None:
                return locked
            raise CaseError(_("This case is past the suspension step."))
        reason = _reason(locked)
        rows = _loans(locked)
        for row in rows:
            if row.loan.status == Loan.Status.ACTIVE:
                try:
                    loan = suspend_loan(row.loan, on=on, reason=reason, actor=actor)
                except ServicingError as exc:
                    raise CaseError(exc.message) from exc
                row.suspended_from = loan.suspended_from
            row.bureau_suspension = _report_suspension(row.loan, locked, actor)
            row.save(update_fields=["suspended_from", "bureau_suspension"])
        letter = send_letter(
            locked.client,
            kind="fraud_suspension",
            subject=in_language(locked.client, _suspension_subject),
            body=in_language(locked.client, _suspension_body, locked, rows),
            reference=locked.reference,
        )
        locked.status = FraudCase.Status.SUSPENDED
        locked.suspended_on = timezone.localdate()
        locked.notice_letter_id = letter.pk
        locked.save(update_fields=["status", "suspended_on", "notice_letter_id"])
        audit(
            "fraudcases.case_suspended",
            actor=actor,
            target=locked,
            data={
                "number": locked.number,
                "loans": {
                    r.loan.number: (r.suspended_from.isoformat() if r.suspended_from else None) for r in rows
                },
                "bureau": {r.loan.number: r.bureau_suspension for r in rows},
                "letter": letter.pk,
                "in_time": locked.suspended_on <= locked.suspension_due,
            },
        )
    return locked


def _other_room(label: str, func: Any, *args: Any, **kwargs: Any) -> Any:
    """Call the bureau or collections room; its refusal becomes a message on the case page (the
    whole step is rolled back and can be retried), never a server error."""
    try:
        return func(*args, **kwargs)
    except Exception as exc:  # their error classes are theirs; a refusal must not be a 500
        logger.exception("%s refused a fraud-case measure", label)
        raise CaseError(
            _("%(room)s refused the measure: %(reason)s")
            % {"room": label, "reason": getattr(exc, "message", "") or exc.__class__.__name__}
        ) from exc


def _report_suspension(loan: Loan, case: FraudCase, actor: Any) -> str:
    if bureau is None:
        return Outcome.SKIPPED
    _other_room(
        _("The credit bureau module"), bureau.report_suspension, loan, actor=actor, source=case.source
    )
    return Outcome.DONE


def _suspension_subject() -> str:
    return _("Accrual, collection and bureau reporting of your loan are suspended")


def _suspension_body(case: FraudCase, rows: list[CaseLoan]) -> str:
    numbers = ", ".join(row.loan.number for row in rows)
    first = min((r.suspended_from for r in rows if r.suspended_from), default=timezone.localdate())
    return "\n\n".join(
        [
            _("We received %(kind)s No. %(reference)s (%(authority)s) concerning your loan(s) %(numbers)s.")
            % {
                "kind": _kind_words(case),
                "reference": case.reference_number,
                "authority": case.authority,
                "numbers": numbers,
            },
            _(
                "From %(date)s we have suspended the accrual of interest on the loan(s), the collection of the debt and all claims work, and we no longer report the debt to credit bureaus (Rules for providing microcredits electronically, paragraph 13)."
            )
            % {"date": _date(first)},
            _(
                "We will write to you again when the investigation or the court decides. Our case number is %(number)s."
            )
            % {"number": case.number},
        ]
    )


# --- step 2: resumption (R-FRAUD-3) -----------------------------------------------------------
def resume_case(
    case: FraudCase,
    *,
    cancelled_on: dt.date,
    actor: Any,
    reference: str = "",
    back_accrue: bool | None = None,
    today: dt.date | None = None,
) -> FraudCase:
    """The submission or resolution was cancelled: every suspended loan resumes (schedule moved by
    the suspension's length; interest for the suspended period only when ``back_accrue``, default
    ``QARYZ_FRAUD_BACK_ACCRUAL_DEFAULT``); the client is told in writing."""
    from qaryz.messaging.letters import send_letter
    from qaryz.messaging.services import in_language
    from qaryz.servicing.suspension import resume_loan

    today = today or timezone.localdate()
    if back_accrue is None:
        back_accrue = bool(settings.FRAUD_BACK_ACCRUAL_DEFAULT)
    with transaction.atomic():
        locked = _lock(case)
        if locked.status == FraudCase.Status.RESUMED:
            return locked
        if locked.status != FraudCase.Status.SUSPENDED:
            raise CaseError(_("Only a case whose loans are suspended can be resumed."))
        if cancelled_on > today:
            raise CaseError(_("The date of cancellation cannot be in the future."), "cancelled_on")
        if cancelled_on < locked.received_on:
            raise CaseError(
                _("The cancellation cannot be dated before the case was received."), "cancelled_on"
            )
        rows = _loans(locked)
        for row in rows:
            if row.suspended_from is None or row.resumed_on is not None:
                continue
            result = resume_loan(
                row.loan, back_accrue=back_accrue, key=f"fc{locked.pk}l{row.loan_id}", actor=actor
            )
            row.resumed_on = result.resumed_on
            row.shift_days = result.suspended_days
            row.back_accrued = result.back_accrued
            row.save(update_fields=["resumed_on", "shift_days", "back_accrued"])
            row.loan.refresh_from_db()
        locked.status = FraudCase.Status.RESUMED
        locked.cancelled_on = cancelled_on
        locked.cancellation_reference = reference.strip()[:100]
        locked.back_accrue = back_accrue
        locked.resumed_on = today
        locked.save(
            update_fields=["status", "cancelled_on", "cancellation_reference", "back_accrue", "resumed_on"]
        )
        send_letter(
            locked.client,
            kind="fraud_resumption",
            subject=in_language(locked.client, _resumption_subject),
            body=in_language(locked.client, _resumption_body, locked, rows),
            reference=locked.reference,
        )
        audit(
            "fraudcases.case_resumed",
            actor=actor,
            target=locked,
            data={
                "number": locked.number,
                "cancelled_on": cancelled_on.isoformat(),
                "back_accrue": back_accrue,
                "loans": {
                    r.loan.number: {"shift_days": r.shift_days, "back_accrued": r.back_accrued} for r in rows
                },
            },
        )
    return locked


def _resumption_subject() -> str:
    return _("Servicing of your loan resumes")


def _resumption_body(case: FraudCase, rows: list[CaseLoan]) -> str:
    from qaryz.core.money import format_money
    from qaryz.servicing.amounts import to_kzt

    language = translation.get_language() or "ru"
    parts = [
        _(
            "The document on which we suspended your loan(s) (%(kind)s No. %(reference)s) has been cancelled on %(date)s. Accrual of interest and collection resume."
        )
        % {"kind": _kind_words(case), "reference": case.reference_number, "date": _date(case.cancelled_on)}
    ]
    for row in rows:
        if row.resumed_on is None:
            continue
        loan = row.loan
        text = _(
            "Loan %(number)s: the payment dates not yet due have moved by %(days)s day(s); the next payment is due on %(due)s."
        ) % {
            "number": loan.number,
            "days": row.shift_days,
            "due": _date(loan.cur_due) if loan.cur_due else "—",
        }
        if row.back_accrued:
            text += " " + _("Interest for the suspended period: %(amount)s.") % {
                "amount": format_money(to_kzt(row.back_accrued), language)
            }
        else:
            text += " " + _("No interest is charged for the suspended period.")
        parts.append(text)
    parts.append(_("The new schedule is in your cabinet. Case %(number)s.") % {"number": case.number})
    return "\n\n".join(parts)


# --- step 3: court verdict (R-FRAUD-4) ----------------------------------------------------------
def record_verdict(
    case: FraudCase,
    *,
    verdict_on: dt.date,
    court: str,
    reference: str,
    actor: Any,
    today: dt.date | None = None,
) -> FraudCase:
    """A court verdict in force found the client did not receive the loan: the measures are due
    within ``QARYZ_FRAUD_VERDICT_DAYS`` (15 working days) and are carried out at once
    (``carry_out_verdict``)."""
    today = today or timezone.localdate()
    if verdict_on > today:
        raise CaseError(_("The verdict cannot enter into force in the future."), "verdict_on")
    court, reference = court.strip(), reference.strip()
    if not court or not reference:
        raise CaseError(_("Enter the court and the verdict's number."), "verdict_court")
    with transaction.atomic():
        locked = _lock(case)
        if locked.verdict_on is None:
            _record_verdict(locked, verdict_on, court, reference, actor)
    return carry_out_verdict(case, actor=actor)


def _record_verdict(locked: FraudCase, verdict_on: dt.date, court: str, reference: str, actor: Any) -> None:
    if locked.status not in (FraudCase.Status.REGISTERED, FraudCase.Status.SUSPENDED):
        raise CaseError(_("A verdict can be recorded only while the case is open."))
    days, day_kind = verdict_rule()
    locked.verdict_on = verdict_on
    locked.verdict_court = court[:200]
    locked.verdict_reference = reference[:100]
    locked.verdict_days, locked.verdict_day_kind = days, day_kind
    locked.verdict_due = deadlines.deadline(verdict_on, days, day_kind)
    locked.status = FraudCase.Status.VERDICT
    locked.overdue_flagged_at = None
    locked.save(
        update_fields=[
            "verdict_on",
            "verdict_court",
            "verdict_reference",
            "verdict_days",
            "verdict_day_kind",
            "verdict_due",
            "status",
            "overdue_flagged_at",
        ]
    )
    audit(
        "fraudcases.verdict_recorded",
        actor=actor,
        target=locked,
        data={
            "number": locked.number,
            "verdict_on": verdict_on.isoformat(),
            "reference": locked.verdict_reference,
            "measures_due": locked.verdict_due.isoformat(),
        },
    )


def _verdict_reason(case: FraudCase) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _(
            "Court verdict %(reference)s of %(court)s (in force %(date)s): the client did not receive the loan; case %(number)s"
        ) % {
            "reference": case.verdict_reference,
            "court": case.verdict_court,
            "date": _date(case.verdict_on),
            "number": case.number,
        }


def carry_out_verdict(case: FraudCase, *, actor: Any) -> FraudCase:
    """The verdict's measures for each loan, each at most once: the write-off proposed
    (collections, maker–checker; ``source`` = the case), the bureau correction recorded, everything
    paid made refundable and sent to the client's verified account. A refund that cannot be sent
    yet (no verified account, bank refused) is recorded and retried by calling this again."""
    from qaryz.servicing import payouts
    from qaryz.servicing.repayments import refund_everything_paid, total_owed
    from qaryz.servicing.suspension import suspend_loan

    with transaction.atomic():
        locked = _lock(case)
        if locked.verdict_on is None:
            raise CaseError(_("Record the court verdict first."))
        reason = _verdict_reason(locked)
        rows = _loans(locked)
        for row in rows:
            loan = row.loan
            if loan.status == Loan.Status.ACTIVE and loan.suspended_from is None and row.resumed_on is None:
                # A verdict before the suspension step: nothing more accrues or is collected either.
                loan = row.loan = suspend_loan(loan, reason=reason[:200], actor=actor)
                row.suspended_from = loan.suspended_from
                row.save(update_fields=["suspended_from"])
            if not row.write_off:
                if loan.status != Loan.Status.ACTIVE or not total_owed(loan):
                    row.write_off = Outcome.NOT_APPLICABLE  # nothing owed: nothing to write off
                elif collections is None:
                    row.write_off = Outcome.SKIPPED
                else:
                    decision = _other_room(
                        _("The collections module"),
                        collections.propose_write_off,
                        loan,
                        reason=reason,
                        maker=actor,
                        source=locked.source,
                    )
                    row.write_off, row.write_off_reference = (
                        Outcome.DONE,
                        str(getattr(decision, "pk", ""))[:64],
                    )
            if not row.bureau_correction:
                if bureau is None:
                    row.bureau_correction = Outcome.SKIPPED
                else:
                    _other_room(
                        _("The credit bureau module"),
                        bureau.record_correction,
                        loan,
                        reason=reason,
                        actor=actor,
                        source=locked.source,
                    )
                    row.bureau_correction = Outcome.DONE
            row.save(update_fields=["write_off", "write_off_reference", "bureau_correction"])
        # The refund payable first (a ledger entry keyed by the case and loan) ...
        for row in rows:
            payable = refund_everything_paid(row.loan, key=f"fc{locked.pk}l{row.loan_id}", actor=actor)
            if not row.refund_amount:
                row.refund_amount = payable
                row.save(update_fields=["refund_amount"])
    # ... then the bank transfers, outside any transaction of ours: ``send_refund`` commits its row
    # before it calls the bank (a rollback here must never forget a transfer the bank accepted).
    errors: dict[int, str] = {}
    for row in rows:
        loan = Loan.objects.get(pk=row.loan_id)
        amount = payouts.refundable(loan)
        if amount <= 0:
            continue
        failed = RefundPayout.objects.filter(
            loan=loan, source=locked.source, status=RefundPayout.Status.FAILED
        )
        try:
            payouts.send_refund(
                loan,
                amount_tiyn=amount,
                key=f"fraud-case-{locked.pk}-{failed.count() + 1}",
                actor=actor,
                purpose=RefundPayout.Purpose.FRAUD_VICTIM,
                source=locked.source,
            )
        except ServicingError as exc:
            errors[row.pk] = exc.message[:300]
    # A refund waiting for its second approval is not a measure carried out: the case stays open
    # (and its deadline watched) until it is approved and this is called again.
    waiting = set(
        RefundPayout.objects.filter(
            loan_id__in=[row.loan_id for row in rows],
            source=locked.source,
            status=RefundPayout.Status.APPROVAL,
        ).values_list("loan_id", flat=True)
    )
    for row in rows:
        if row.loan_id in waiting and row.pk not in errors:
            errors[row.pk] = _(
                "The refund waits for a second staff member's approval. Carry out the measures "
                "again once it is approved."
            )
    with transaction.atomic():
        locked = _lock(case)
        for row in rows:
            row.refund_error = errors.get(row.pk, "")
            row.save(update_fields=["refund_error"])
        if not errors and locked.verdict_done_on is None:
            locked.verdict_done_on = timezone.localdate()
            locked.status = FraudCase.Status.CLOSED
            locked.save(update_fields=["verdict_done_on", "status"])
        audit(
            "fraudcases.verdict_measures",
            actor=actor,
            target=locked,
            data={
                "number": locked.number,
                "loans": {
                    r.loan.number: {
                        "write_off": r.write_off,
                        "bureau_correction": r.bureau_correction,
                        "refund": r.refund_amount,
                        "refund_error": r.refund_error,
                    }
                    for r in rows
                },
                "done": locked.verdict_done_on is not None,
            },
        )
    return locked


# --- the nightly check --------------------------------------------------------------------------
def flag_overdue_steps(today: dt.date | None = None) -> dict[str, int]:
    """Flag the cases whose open step is past its deadline (one UPDATE per step, set-based);
    audited with the counts. The pages show the flag; a case flagged once stays flagged."""
    today = today or timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        suspension = FraudCase.objects.filter(
            status=FraudCase.Status.REGISTERED, suspension_due__lt=today, overdue_flagged_at__isnull=True
        ).update(overdue_flagged_at=now)
        verdict = FraudCase.objects.filter(
            status=FraudCase.Status.VERDICT,
            verdict_done_on__isnull=True,
            verdict_due__lt=today,
            overdue_flagged_at__isnull=True,
        ).update(overdue_flagged_at=now)
        counts = {"suspension_overdue": suspension, "verdict_measures_overdue": verdict}
        audit("fraudcases.deadlines_checked", actor="system", data={"on": today.isoformat(), **counts})
    return counts
