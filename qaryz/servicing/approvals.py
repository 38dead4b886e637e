"""The second approval of money leaving the MFO (maker–checker, issue 14 item 1).

What waits for it (the transfer row is committed in status "approval", the bank is not called):

- every cash-desk payout: the cashier's identification is recorded, the loan stays awaiting;
- every refund to a victim of fraud and every refund a staff member sends;
- every return of an unidentified payment (suspense) to the payer;
- a client's payout or overpayment refund of more than ``PAYOUT_SECOND_APPROVAL_ABOVE`` KZT
  (the client's request is the first approval; smaller ones go out at once, as before).

Another staff member with ``servicing.approve_payout`` approves or rejects it (with a reason) in
the back office's "Payouts awaiting second approval". The approver is never the maker: checked
here and by a DB constraint. Approving takes the approval's row lock, so of two concurrent
approvals one wins and the other is told it was decided; the transfer then goes through its own
idempotent path (``payouts.send`` and friends, the row's key being the bank's idempotency key).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from qaryz.records.services import record_event as audit
from qaryz.servicing.models import (
    Channel,
    Loan,
    Payout,
    PayoutApproval,
    RefundPayout,
    SuspenseItem,
    SuspenseReturn,
)
from qaryz.servicing.services import ServicingError

PERMISSION = "servicing.approve_payout"


def threshold_tiyn() -> int:
    """Above this (tiyn) a client's own payout or refund waits for a staff approval."""
    return int(settings.PAYOUT_SECOND_APPROVAL_ABOVE) * 100


def above_threshold(amount_tiyn: int) -> bool:
    return amount_tiyn > threshold_tiyn()


def staff_user(actor: Any) -> Any:
    """``actor`` when it is a staff user account (the maker of a staff action), else None."""
    is_user = getattr(getattr(actor, "_meta", None), "label_lower", "") == "auth.user"
    return actor if is_user and getattr(actor, "is_staff", False) else None


def open_approval(kind: str, target: Payout | RefundPayout | SuspenseReturn, *, maker: Any) -> PayoutApproval:
    """Record that ``target`` (committed in status "approval" in the caller's transaction) waits
    for a second approval; audited."""
    field = {
        PayoutApproval.Kind.PAYOUT: "payout",
        PayoutApproval.Kind.CASH_DESK: "payout",
        PayoutApproval.Kind.REFUND: "refund",
        PayoutApproval.Kind.SUSPENSE_RETURN: "suspense_return",
    }[kind]
    approval = PayoutApproval.objects.create(
        kind=kind, amount=target.amount, maker=staff_user(maker), **{field: target}
    )
    audit(
        "servicing.payout_approval_requested",
        actor=maker or "system",
        target=_audit_target(approval),
        data={"approval": approval.pk, "kind": kind, "key": target.key, "amount": target.amount},
    )
    return approval


def _audit_target(approval: PayoutApproval) -> Any:
    if approval.payout_id:
        return approval.payout.loan
    if approval.refund_id:
        return approval.refund.loan
    return approval.suspense_return.item


# --- reads ----------------------------------------------------------------------------------------
def pending_approvals() -> QuerySet[PayoutApproval]:
    """What waits for a second approval, oldest first (the queue's page and its count)."""
    return PayoutApproval.objects.filter(status=PayoutApproval.Status.PENDING).select_related(
        "maker",
        "payout__loan__client",
        "refund__loan__client",
        "suspense_return__item",
    )


def recent_decisions(limit: int = 20) -> list[PayoutApproval]:
    return list(
        PayoutApproval.objects.exclude(status=PayoutApproval.Status.PENDING)
        .select_related("maker", "checker", "payout__loan", "refund__loan", "suspense_return__item")
        .order_by("-decided_at", "-id")[:limit]
    )


# --- the checker's decision -------------------------------------------------------------------------
def _lock_for(approval: PayoutApproval, checker: Any) -> PayoutApproval:
    """The approval locked (SELECT … FOR UPDATE), still pending, and ``checker`` allowed to decide."""
    if staff_user(checker) is None or not checker.has_perm(PERMISSION):
        raise ServicingError(_("Only a staff member allowed to approve payouts can decide this."))
    locked = PayoutApproval.objects.select_for_update().get(pk=approval.pk)
    if locked.status != PayoutApproval.Status.PENDING:
        raise ServicingError(_("This payout has already been decided by another staff member."))
    if locked.maker_id is not None and locked.maker_id == checker.pk:
        raise ServicingError(_("You made this payout: another staff member must approve or reject it."))
    return locked


def approve(approval: PayoutApproval, *, checker: Any) -> Payout | RefundPayout | SuspenseReturn:
    """The second approval: the transfer moves on (a cash payout is recorded as paid and the
    loan activated; the others are sent to the bank with their own key, once)."""
    from qaryz.servicing import payouts

    with transaction.atomic():
        locked = _lock_for(approval, checker)
        now = timezone.now()
        locked.status, locked.checker, locked.decided_at = PayoutApproval.Status.APPROVED, checker, now
        locked.save(update_fields=["status", "checker", "decided_at"])
        if locked.kind == PayoutApproval.Kind.CASH_DESK:
            _pay_cash_out(locked.payout_id, checker)
        else:
            model = type(locked.target)
            moved = model.objects.filter(pk=locked.target.pk, status="approval").update(status="pending")
            if not moved:  # the row left "approval" by another way: nothing is sent
                raise ServicingError(_("This payout is no longer awaiting approval."))
        audit(
            "servicing.payout_approved",
            actor=checker,
            target=_audit_target(locked),
            data={
                "approval": locked.pk,
                "kind": locked.kind,
                "key": locked.target.key,
                "amount": locked.amount,
                "maker": locked.maker_id,
            },
        )
    # The bank is called outside our transaction: each row is committed as "pending" first, so a
    # crash here leaves it to ``reconcile_payouts`` (ask by key, resend with the same key).
    if locked.kind == PayoutApproval.Kind.PAYOUT:
        return payouts.send(locked.payout)
    if locked.kind == PayoutApproval.Kind.REFUND:
        return payouts.send_refund_transfer(locked.refund)
    if locked.kind == PayoutApproval.Kind.SUSPENSE_RETURN:
        return payouts.send_suspense_return(locked.suspense_return)
    return Payout.objects.get(pk=locked.payout_id)


def _pay_cash_out(payout_id: int, checker: Any) -> None:
    from qaryz.servicing import services

    payout = Payout.objects.select_for_update().get(pk=payout_id)
    loan = Loan.objects.select_for_update().get(pk=payout.loan_id)
    if payout.status != Payout.Status.APPROVAL or loan.status != Loan.Status.AWAITING:
        raise ServicingError(_("This loan has already been paid out."))
    now = timezone.now()
    payout.status, payout.sent_at, payout.confirmed_at = Payout.Status.CONFIRMED, now, now
    payout.identification = {
        **payout.identification,
        "approved_by": checker.pk,
        "approved_at": now.isoformat(),
    }
    payout.save(update_fields=["status", "sent_at", "confirmed_at", "identification"])
    services.activate(
        loan,
        value_date=timezone.localdate(),
        channel=Channel.CASH_DESK,
        net_amount=payout.amount,
        actor=checker,
    )
    audit(
        "servicing.cash_paid_out",
        actor=payout.paid_by or checker,
        target=loan,
        data={
            "payout": payout.key,
            "amount": payout.amount,
            "identification": payout.identification,
            "approved_by": checker.pk,
        },
    )


def reject(approval: PayoutApproval, *, checker: Any, reason: str) -> Payout | RefundPayout | SuspenseReturn:
    """The checker refuses: the transfer fails with the reason (nothing was sent); a payout or
    refund may be asked again, an unidentified payment awaits assignment again."""
    reason = " ".join((reason or "").split())[:300]
    if not reason:
        raise ServicingError(_("Say why the payout is rejected."), "reason")
    with transaction.atomic():
        locked = _lock_for(approval, checker)
        locked.status, locked.checker, locked.decided_at = (
            PayoutApproval.Status.REJECTED,
            checker,
            timezone.now(),
        )
        locked.reason = reason
        locked.save(update_fields=["status", "checker", "decided_at", "reason"])
        target = type(locked.target).objects.select_for_update().get(pk=locked.target.pk)
        if target.status != "approval":
            raise ServicingError(_("This payout is no longer awaiting approval."))
        target.status = "failed"
        target.failure_reason = (_("Rejected at the second approval: %(reason)s") % {"reason": reason})[:200]
        target.save(update_fields=["status", "failure_reason"])
        if isinstance(target, SuspenseReturn):
            SuspenseItem.objects.filter(pk=target.item_id, status=SuspenseItem.Status.RETURNING).update(
                status=SuspenseItem.Status.OPEN
            )
        audit(
            "servicing.payout_rejected",
            actor=checker,
            target=_audit_target(locked),
            data={"approval": locked.pk, "kind": locked.kind, "key": target.key, "reason": reason},
        )
    return target
