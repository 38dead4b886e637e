"""Paying a loan out (R-DISB-1..5) through the payout bank port (``ports.PayoutBank``).

Channels (the application's disbursement method):

- bank account / card: only to the client's CURRENT registered ``BankAccount`` of that kind – the
  application's free-text IBAN / card must be the same or is refused – and only once the bank has
  confirmed the account belongs to the client's IIN/BIN (R-DISB-2). No confirmation, no transfer.
- partner merchant: only a merchant of the register (active, partner contract valid today), its
  account confirmed by the bank for its BIN, and only after a fresh biometric check of the client,
  consumed by the payout (R-DISB-3).
- cash desk: the cashier identifies the client against the stored identity document (or the
  representative's document and power of attorney for a legal entity), records it and pays out;
  the loan is active at once (R-DISB-4). Cash terminal: a transfer to the terminal network through
  the same port; the withdrawal code goes to the client by SMS.
- always: not before the rule set's delay after signing, and with the client's additional consent
  where the rule set requires it (R-DISB-5).

Idempotency and crashes: the ``Payout`` row (its key is the bank's idempotency key) is committed
BEFORE the bank is called; duplicates find the live payout under the loan's row lock (and the
database allows one live payout per loan). A crash or a timeout between the commit and the bank's
answer leaves the payout pending; ``reconcile_payouts`` asks the bank by key and resends with the
same key only when the bank does not know it – the bank never pays one key twice. The loan becomes
active and the application "disbursed" only when the bank confirms (webhook or reconcile), through
``services.activate``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qaryz.clients.models import BankAccount, Client
from qaryz.lending.models import DisbursementMethod
from qaryz.messaging import status_notices
from qaryz.records.services import record_event as audit
from qaryz.servicing import approvals, services
from qaryz.servicing.amounts import to_kzt
from qaryz.servicing.models import (
    Channel,
    Loan,
    Merchant,
    Payout,
    PayoutApproval,
    RefundPayout,
    SuspenseItem,
    SuspenseReturn,
)
from qaryz.servicing.ports import Destination, PayoutBank, PayoutBankError
from qaryz.servicing.services import ServicingError

logger = logging.getLogger("qaryz.servicing.payouts")

METHOD_CHANNEL = {
    DisbursementMethod.BANK_ACCOUNT: Channel.BANK,
    DisbursementMethod.CARD: Channel.CARD,
    DisbursementMethod.MERCHANT: Channel.MERCHANT,
    DisbursementMethod.CASH_DESK: Channel.CASH_DESK,
    DisbursementMethod.CASH_TERMINAL: Channel.CASH_TERMINAL,
}
CONSENT_KEY = "disbursement_consent"
MERCHANT_PURPOSE = "merchant_payout"  # qaryz.biometrics.models.Purpose.MERCHANT_PAYOUT
REPEAT_PURPOSE = "payout"  # qaryz.biometrics.models.Purpose.PAYOUT: the repeat check after a leak


class WebhookError(Exception):
    """A webhook we refuse: bad signature or unreadable body (answered 400)."""


def payout_bank() -> PayoutBank:
    if settings.PAYOUT_BANK == "http":
        from qaryz.servicing.adapters.bank_http import HttpPayoutBank

        return HttpPayoutBank(settings.PAYOUT_URL, settings.PAYOUT_TOKEN, timeout=settings.PAYOUT_TIMEOUT)
    from qaryz.servicing.adapters.bank_embedded import EmbeddedPayoutBank

    return EmbeddedPayoutBank()


def net_amount(loan: Loan) -> int:
    """What leaves the MFO: the principal less the one-off fee withheld at disbursement."""
    return loan.principal - loan.upfront_fee


def live_payout(loan: Loan) -> Payout | None:
    return Payout.objects.filter(loan_id=loan.pk).exclude(status=Payout.Status.FAILED).first()


# --- R-DISB-5: cooling-off and the additional consent ---------------------------------------------
def consent_required(loan: Loan) -> bool:
    return bool(loan.application.rule_set.additional_consent_required)


def consent_given(loan: Loan) -> bool:
    return CONSENT_KEY in (loan.application.acknowledgements or {})


def allowed_at(loan: Loan) -> dt.datetime | None:
    from qaryz.lending.services import disbursement_allowed_at

    return disbursement_allowed_at(loan.application)


def check_cooling_off(loan: Loan, now: dt.datetime | None = None) -> None:
    """Refuse a payout before the legal delay after signing or without a required consent (R-DISB-5)."""
    when = allowed_at(loan)
    if when is None or (now or timezone.now()) < when:
        raise ServicingError(
            _("The money can be paid out from %(when)s: the law gives you time to reconsider after signing.")
            % {"when": date_format(timezone.localtime(when), "DATETIME_FORMAT") if when else "—"},
            "cooling_off",
        )
    if consent_required(loan) and not consent_given(loan):
        raise ServicingError(
            _("Confirm that you still want the loan: your additional consent is required before the payout."),
            "consent",
        )


def give_consent(loan: Loan, *, actor: Any = None) -> None:
    """The client's additional consent before disbursement (R-DISB-5), through the lending room."""
    from qaryz.lending.services import FlowError, give_disbursement_consent

    if loan.status != Loan.Status.AWAITING:
        raise ServicingError(_("This loan has already been paid out."))
    try:
        give_disbursement_consent(loan.application)
    except FlowError as exc:
        raise ServicingError(exc.message) from exc
    audit(
        "servicing.disbursement_consent",
        actor=actor or loan.client,
        target=loan,
        data={"number": loan.number},
    )


# --- destinations ---------------------------------------------------------------------------------
def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def _ownership(bank: Any, loan: Loan, id_number: str, account: str) -> str:
    """The bank's answer whether ``account`` belongs to ``id_number``; an unreachable bank refuses
    the payout with a message (nothing is sent either way)."""
    try:
        return bank.confirm_ownership(id_number, account)
    except PayoutBankError as exc:
        logger.warning("ownership check failed for loan %s: %s", loan.pk, exc)
        raise ServicingError(
            _("The bank cannot be reached right now. Nothing was sent; please try again later.")
        ) from exc


def _refuse(
    loan: Loan, reason: str, message: str, field: str | None = None, actor: Any = None
) -> ServicingError:
    audit("servicing.payout_refused", actor=actor or loan.client, target=loan, data={"reason": reason})
    return ServicingError(message, field)


def registered_merchant(loan: Loan, today: dt.date | None = None) -> Merchant | None:
    """The register's merchant the application names (by BIN or exact name), valid today."""
    today = today or timezone.localdate()
    named = (loan.application.merchant or "").strip()
    if not named:
        return None
    return (
        Merchant.objects.filter(is_active=True, contract_from__lte=today)
        .filter(Q(contract_to__isnull=True) | Q(contract_to__gte=today))
        .filter(Q(bin=named) | Q(name__iexact=named))
        .first()
    )


def _own_account(loan: Loan, bank: PayoutBank, actor: Any) -> BankAccount:
    """The client's current registered account of the chosen kind, its ownership confirmed (R-DISB-2)."""
    from qaryz.clients.selectors import current_bank_account

    app = loan.application
    client = loan.client
    kind = (
        BankAccount.Kind.CARD if app.disbursement_method == DisbursementMethod.CARD else BankAccount.Kind.IBAN
    )
    account = current_bank_account(client)
    if account is None or account.kind != kind:
        raise _refuse(
            loan,
            "no_registered_account",
            _(
                "Register your bank account or card in the cabinet first: the money is paid only to details verified for you."
            )
            if kind == BankAccount.Kind.IBAN
            else _(
                "Register your payment card in the cabinet first: the money is paid only to details verified for you."
            ),
            "account",
            actor,
        )
    if kind == BankAccount.Kind.IBAN and app.payout_iban and app.payout_iban != account.value:
        raise _refuse(
            loan,
            "iban_differs",
            _(
                "The IBAN in the application differs from your registered account %(account)s. The money is paid only to the registered account: change the registered details in the cabinet if needed."
            )
            % {"account": account.masked},
            "account",
            actor,
        )
    if kind == BankAccount.Kind.CARD and app.payout_card_masked:
        masked = _digits(app.payout_card_masked)
        value = _digits(account.value)
        if masked[:6] != value[:6] or masked[-4:] != value[-4:]:
            raise _refuse(
                loan,
                "card_differs",
                _(
                    "The card in the application differs from your registered card %(account)s. The money is paid only to the registered card."
                )
                % {"account": account.masked},
                "account",
                actor,
            )
    ownership = _ownership(bank, loan, client.id_number, account.value)
    if ownership != "owned":
        raise _refuse(
            loan,
            f"ownership_{ownership}",
            _(
                "The bank did not confirm that the account %(account)s belongs to you, so no money was sent. Register an account opened in your name."
            )
            % {"account": account.masked},
            "account",
            actor,
        )
    return account


def destination_of(payout: Payout) -> Destination:
    """What the bank is asked to pay to, rebuilt from the payout row (reconcile resends it)."""
    client = payout.loan.client
    if payout.channel == Channel.MERCHANT:
        merchant = payout.merchant
        return Destination("merchant", merchant.iban, merchant.bin, merchant.name)
    if payout.channel == Channel.CASH_TERMINAL:
        return Destination("terminal", client.phone, client.id_number, client.display_name)
    kind = "card" if payout.channel == Channel.CARD else "iban"
    return Destination(kind, payout.bank_account.value, client.id_number, client.display_name)


def _scoped_key(loan: Loan, key: str | None) -> str:
    """The bank idempotency key: the client's key scoped to the loan (never another's), or a new one."""
    if key:
        return "po-" + hashlib.sha256(f"{loan.pk}:{key}".encode()).hexdigest()[:40]
    return f"po-{loan.pk}-{secrets.token_hex(12)}"


def _antifraud(loan: Loan, account: BankAccount | None) -> None:
    """The antifraud hook (R-AF-1): a hold suspends the payout until a security officer decides,
    a decline blocks it; both with a safe, translated message."""
    from qaryz.antifraud.services import Refused, guard

    iban = account.value if account is not None and account.kind == BankAccount.Kind.IBAN else ""
    try:
        guard("payout", client=loan.client, attributes={"iban": iban}, subject=f"loan:{loan.pk}")
    except Refused as exc:
        raise ServicingError(exc.message, "antifraud") from None


# --- requesting a payout --------------------------------------------------------------------------
def request_payout(loan: Loan, *, key: str | None = None, actor: Any = None) -> Payout:
    """The client's "receive the money": one payout per loan however often it is asked (R-DISB-1..5).

    Checks the channel's rules, commits the payout, then asks the bank. Returns the live payout
    (an existing one for a duplicate request). Raises ServicingError with a translated message."""
    existing = live_payout(loan)
    if existing is not None:
        return existing
    loan = Loan.objects.select_related("application__rule_set", "client").get(pk=loan.pk)
    app = loan.application
    if loan.status != Loan.Status.AWAITING:
        raise ServicingError(_("This loan has already been paid out."))
    method = app.disbursement_method
    if method == DisbursementMethod.CASH_DESK:
        raise ServicingError(
            _("This loan is paid out in cash at the cash desk: come with your identity document.")
        )
    channel = METHOD_CHANNEL.get(method)
    if channel is None:
        raise ServicingError(_("Choose how to receive the money first."))
    check_cooling_off(loan)
    bank = payout_bank()
    account = merchant = verification = None
    if channel in (Channel.BANK, Channel.CARD):
        account = _own_account(loan, bank, actor)
        masked = account.masked
    elif channel == Channel.MERCHANT:
        from qaryz.biometrics.selectors import fresh_verification

        merchant = registered_merchant(loan)
        if merchant is None:
            raise _refuse(
                loan,
                "merchant_not_registered",
                _(
                    "The merchant named in the application is not a registered partner with a valid contract, so the money cannot be paid to it."
                ),
                "merchant",
                actor,
            )
        verification = fresh_verification(loan.client, MERCHANT_PURPOSE)
        if verification is None:
            raise ServicingError(
                _("Pass the face check first: a payment to a merchant needs a fresh biometric check."),
                "biometrics",
            )
        ownership = _ownership(bank, loan, merchant.bin, merchant.iban)
        if ownership != "owned":
            raise _refuse(
                loan,
                f"merchant_ownership_{ownership}",
                _("The bank did not confirm the merchant's account, so no money was sent."),
                "merchant",
                actor,
            )
        masked = merchant.name[:40]
    else:
        masked = "+7 … " + loan.client.phone[-4:]
    # R-LEAK-1: after a data-leak mark the payout waits for a face check made after the mark.
    from qaryz.leaks.selectors import leak_marked_at, needs_repeat_biometrics

    repeat = needs_repeat_biometrics(loan.client)
    if repeat:
        from qaryz.biometrics.selectors import fresh_verification

        verification = verification or fresh_verification(loan.client, REPEAT_PURPOSE)
        if verification is None or verification.created_at < leak_marked_at(loan.client):
            raise ServicingError(
                _("Pass the face check again before the payout: your personal data need a new check."),
                "biometrics",
            )
    _antifraud(loan, account)
    bank_key = _scoped_key(loan, key)
    try:
        with transaction.atomic():
            locked = Loan.objects.select_for_update().get(pk=loan.pk)
            same = Payout.objects.filter(
                Q(key=bank_key) | Q(loan=locked) & ~Q(status=Payout.Status.FAILED)
            ).first()
            if same is not None:
                return same
            if locked.status != Loan.Status.AWAITING:
                raise ServicingError(_("This loan has already been paid out."))
            if verification is not None:
                from qaryz.biometrics.services import BiometricsError, consume_verification

                try:
                    consume_verification(verification)
                except BiometricsError as exc:
                    raise ServicingError(exc.message, "biometrics") from exc
            if repeat:
                from qaryz.leaks.services import repeat_biometrics_passed

                repeat_biometrics_passed(locked.client, verification_id=verification.pk, action="payout")
            amount = net_amount(locked)
            held = approvals.above_threshold(amount)  # maker–checker: a staff member approves first
            payout = Payout.objects.create(
                loan=locked,
                key=bank_key,
                channel=channel,
                amount=amount,
                bank_account=account,
                merchant=merchant,
                destination_masked=masked,
                status=Payout.Status.APPROVAL if held else Payout.Status.PENDING,
            )
            audit(
                "servicing.payout_requested",
                actor=actor or loan.client,
                target=locked,
                data={"payout": payout.key, "channel": channel, "amount": payout.amount},
            )
            if held:
                approvals.open_approval(PayoutApproval.Kind.PAYOUT, payout, maker=actor or loan.client)
    except IntegrityError:  # a concurrent duplicate won the one-live-payout constraint
        existing = live_payout(loan)
        if existing is None:
            raise
        return existing
    if payout.status == Payout.Status.APPROVAL:
        return payout
    return send(payout, bank)


def send(payout: Payout, bank: PayoutBank | None = None) -> Payout:
    """Ask the bank to pay ``payout`` (committed already); idempotent at the bank by its key. An
    error leaves the payout pending for ``reconcile_payouts``: the outcome is not known."""
    bank = bank or payout_bank()
    payout = Payout.objects.select_related("loan__client", "bank_account", "merchant").get(pk=payout.pk)
    loan = payout.loan
    if payout.status == Payout.Status.APPROVAL:  # never sent before the second approval
        return payout
    try:
        ack = bank.send_transfer(
            payout.key, payout.amount, destination_of(payout), purpose=f"Loan {loan.number}"
        )
    except PayoutBankError as exc:
        logger.warning("payout %s: bank call failed, left pending: %s", payout.key, exc)
        audit("servicing.payout_send_unknown", actor="system", target=loan, data={"payout": payout.key})
        return payout
    first = False
    with transaction.atomic():
        locked = Payout.objects.select_for_update().get(pk=payout.pk)
        if locked.status == Payout.Status.PENDING:
            locked.status = Payout.Status.SENT
            locked.sent_at = timezone.now()
            first = True
        if not locked.bank_reference:
            locked.bank_reference = ack.reference
        locked.save(update_fields=["status", "sent_at", "bank_reference"])
        if first:
            audit(
                "servicing.payout_sent",
                actor="system",
                target=loan,
                data={"payout": locked.key, "reference": ack.reference},
            )
    if first and ack.withdrawal_code:
        _send_withdrawal_code(loan.client, loan, ack.withdrawal_code)
    if ack.state in ("paid", "failed"):
        return apply_outcome(payout.key, ack.state, reference=ack.reference)
    return locked


def _send_withdrawal_code(client: Client, loan: Loan, code: str) -> None:
    from qaryz.messaging.services import in_language, send_sms

    text = in_language(
        client,
        lambda: (
            _("Qaryz: code %(code)s to withdraw %(amount)s at a cash terminal, loan %(number)s.")
            % {"code": code, "amount": _money(net_amount(loan)), "number": loan.number}
        ),
    )
    send_sms(client.phone, text, purpose="payout_code")


def _money(tiyn: int) -> str:
    from django.utils.translation import get_language

    from qaryz.core.money import format_money

    return format_money(to_kzt(tiyn), get_language() or "ru")


# --- the bank's answer: webhook and reconcile -------------------------------------------------------
def apply_outcome(
    key: str,
    state: str,
    *,
    reference: str = "",
    value_date: dt.date | None = None,
    reason: str = "",
    actor: Any = "system",
) -> Payout:
    """The bank's final answer for the payout ``key``: paid → loan activated (ledger posted,
    application disbursed); failed → payout failed, loan still awaiting. Idempotent."""
    payout = Payout.objects.filter(key=key).first()
    if payout is None:
        raise WebhookError("unknown payout")
    if state not in ("paid", "failed"):
        return payout
    with transaction.atomic():
        loan = Loan.objects.select_for_update().get(pk=payout.loan_id)
        payout = Payout.objects.select_for_update().get(pk=payout.pk)
        if payout.status == Payout.Status.APPROVAL:  # never sent: no bank can settle it
            logger.error("payout %s: the bank says %s but it awaits approval", key, state)
            return payout
        if payout.status in (Payout.Status.CONFIRMED, Payout.Status.FAILED):
            if (state == "paid") != (payout.status == Payout.Status.CONFIRMED):
                logger.error("payout %s: bank says %s but it is %s", key, state, payout.status)
            return payout
        now = timezone.now()
        if reference and not payout.bank_reference:
            payout.bank_reference = reference[:64]
        if state == "paid":
            payout.status = Payout.Status.CONFIRMED
            payout.confirmed_at = now
            payout.save(update_fields=["status", "confirmed_at", "bank_reference"])
            services.activate(
                loan,
                value_date=value_date or timezone.localdate(),
                channel=payout.channel,
                net_amount=payout.amount,
                actor=actor,
            )
        else:
            payout.status = Payout.Status.FAILED
            payout.failure_reason = (reason or "failed")[:200]
            payout.save(update_fields=["status", "failure_reason", "bank_reference"])
            status_notices.payout_failed(loan, payout.key)
        audit(
            "servicing.payout_" + ("confirmed" if state == "paid" else "failed"),
            actor=actor,
            target=loan,
            data={"payout": key, "reference": payout.bank_reference, "reason": payout.failure_reason},
        )
    return payout


def webhook_signature(body: bytes) -> str:
    return "sha256=" + hmac.new(settings.PAYOUT_WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()


def handle_webhook(body: bytes, signature: str) -> Payout | RefundPayout | SuspenseReturn:
    """The bank's signed notice of a settled transfer (HMAC-SHA256 of the raw body): a
    disbursement, a refund or a return of unidentified money, told apart by the key."""
    if not signature or not hmac.compare_digest(webhook_signature(body), signature):
        raise WebhookError("bad signature")
    try:
        data = json.loads(body)
        key, state = str(data["key"]), str(data["state"])
        value_date = dt.date.fromisoformat(data["value_date"]) if data.get("value_date") else None
        amount = int(data["amount"]) if data.get("amount") is not None else None
    except (ValueError, KeyError, TypeError) as exc:
        raise WebhookError("unreadable body") from exc
    # The key tells which of our transfers it settles: a disbursement, a refund or a return.
    for model, what, settle in (
        (Payout, "payout", apply_outcome),
        (RefundPayout, "refund", apply_refund_outcome),
        (SuspenseReturn, "suspense return", apply_suspense_return_outcome),
    ):
        sent = model.objects.filter(key=key).first()
        if sent is None:
            continue
        if amount is not None and amount != sent.amount:
            logger.error("%s %s: the bank reports %s tiyn, we sent %s", what, key, amount, sent.amount)
            raise WebhookError("amount differs")
        return settle(
            key,
            state,
            reference=str(data.get("reference") or ""),
            value_date=value_date,
            reason=str(data.get("reason") or ""),
            actor="api:payout-bank",
        )
    raise WebhookError("unknown payout")


def reconcile(
    *, older_than_minutes: int | None = None, now: dt.datetime | None = None, bank: PayoutBank | None = None
) -> dict[str, int]:
    """Pending / sent payouts older than N minutes: ask the bank by key. Unknown → sent again with the
    same key; accepted → left to the bank; paid → activated; failed → failed. Never pays twice."""
    bank = bank or payout_bank()
    minutes = settings.PAYOUT_RECONCILE_AFTER_MINUTES if older_than_minutes is None else older_than_minutes
    cutoff = (now or timezone.now()) - dt.timedelta(minutes=minutes)
    counts = {"checked": 0, "resent": 0, "in_progress": 0, "confirmed": 0, "failed": 0, "unreachable": 0}
    stale = Payout.objects.filter(
        status__in=[Payout.Status.PENDING, Payout.Status.SENT], created_at__lte=cutoff
    ).exclude(channel=Channel.CASH_DESK)
    _ask_the_bank(stale.order_by("created_at"), bank, counts, resend=send, settle=apply_outcome)
    _reconcile_refunds(bank, cutoff, counts)
    _reconcile_suspense_returns(bank, cutoff, counts)
    if counts["checked"]:
        audit("servicing.payouts_reconciled", actor="system", data=counts)
    return counts


# --- refunds to the client (issue 10 item 4; Rules §13, R-FRAUD-4) ----------------------------------
def refund_in_flight(loan: Loan) -> int:
    """Tiyn of the loan's refund payouts awaiting approval, sent or being sent, not yet confirmed."""
    from django.db.models import Sum

    pending = RefundPayout.objects.filter(
        loan_id=loan.pk,
        status__in=[RefundPayout.Status.APPROVAL, RefundPayout.Status.PENDING, RefundPayout.Status.SENT],
    )
    return int(pending.aggregate(total=Sum("amount"))["total"] or 0)


def refundable(loan: Loan) -> int:
    """What can still be sent: the refund payable less the refunds on their way."""
    return max(0, loan.refund_payable - refund_in_flight(loan))


def _refund_key(loan: Loan, key: str) -> str:
    return "rf-" + hashlib.sha256(f"{loan.pk}:{key}".encode()).hexdigest()[:40]


def _refund_account(loan: Loan, bank: PayoutBank, account: BankAccount | None, actor: Any) -> BankAccount:
    """The client's current registered account (or ``account``, which must be it), its ownership
    confirmed by the bank: a refund goes only to details verified for the client."""
    from qaryz.clients.selectors import current_bank_account

    current = current_bank_account(loan.client)
    if account is not None and (current is None or account.pk != current.pk):
        raise _refuse(
            loan,
            "refund_account_not_current",
            _("The refund is paid only to the client's current registered account."),
            "account",
            actor,
        )
    account = account or current
    if account is None:
        raise _refuse(
            loan,
            "refund_no_account",
            _(
                "Register your bank account or card in the cabinet first: the money is paid only to details verified for you."
            ),
            "account",
            actor,
        )
    if _ownership(bank, loan, loan.client.id_number, account.value) != "owned":
        raise _refuse(
            loan,
            "refund_not_owned",
            _(
                "The bank did not confirm that the account %(account)s belongs to you, so no money was sent. Register an account opened in your name."
            )
            % {"account": account.masked},
            "account",
            actor,
        )
    return account


def send_refund(
    loan: Loan,
    *,
    amount_tiyn: int,
    key: str,
    account: BankAccount | None = None,
    actor: Any = None,
    purpose: str = RefundPayout.Purpose.OVERPAYMENT,
    source: str = "",
) -> RefundPayout:
    """Send ``amount_tiyn`` of the loan's refund payable to the client's verified account through
    the payout port, ONCE per ``key`` (scoped to the loan): the row is committed under the loan's
    row lock before the bank is called with the row's key as its idempotency key; a duplicate
    (also concurrent) gets the same row and sends nothing. The bank's confirmation (webhook or
    reconcile) books ``repayments.refund_paid``. Raises ServicingError with a translated message."""
    if not isinstance(amount_tiyn, int) or isinstance(amount_tiyn, bool) or amount_tiyn <= 0:
        raise ServicingError(_("The amount must be positive."), "amount")
    if not key or len(key) > 120:
        raise ServicingError(_("A refund needs an idempotency key (up to 120 characters)."), "key")
    bank_key = _refund_key(loan, key)
    existing = RefundPayout.objects.filter(key=bank_key).first()
    if existing is not None:
        return existing
    loan = Loan.objects.select_related("client").get(pk=loan.pk)
    bank = payout_bank()
    bank_account = _refund_account(loan, bank, account, actor)
    try:
        with transaction.atomic():
            locked = Loan.objects.select_for_update().get(pk=loan.pk)
            same = RefundPayout.objects.filter(key=bank_key).first()
            if same is not None:
                return same
            if amount_tiyn > refundable(locked):
                raise ServicingError(_("The refund does not match the amount payable."), "amount")
            maker = approvals.staff_user(actor)
            held = (
                purpose == RefundPayout.Purpose.FRAUD_VICTIM
                or maker is not None
                or approvals.above_threshold(amount_tiyn)
            )
            refund = RefundPayout.objects.create(
                status=RefundPayout.Status.APPROVAL if held else RefundPayout.Status.PENDING,
                loan=locked,
                key=bank_key,
                purpose=purpose,
                amount=amount_tiyn,
                bank_account=bank_account,
                destination_masked=bank_account.masked,
                source=source[:80],
                requested_by=actor
                if getattr(getattr(actor, "_meta", None), "label_lower", "") == "auth.user"
                else None,
            )
            audit(
                "servicing.refund_payout_requested",
                actor=actor or locked.client,
                target=locked,
                data={"refund": refund.key, "amount": amount_tiyn, "purpose": purpose, "source": source},
            )
            if held:
                approvals.open_approval(PayoutApproval.Kind.REFUND, refund, maker=actor)
    except IntegrityError:  # a concurrent duplicate inserted the same key first
        existing = RefundPayout.objects.filter(key=bank_key).first()
        if existing is None:
            raise
        return existing
    if refund.status == RefundPayout.Status.APPROVAL:
        return refund
    return send_refund_transfer(refund, bank)


def refund_destination(refund: RefundPayout) -> Destination:
    client = refund.loan.client
    account = refund.bank_account
    kind = "card" if account.kind == BankAccount.Kind.CARD else "iban"
    return Destination(kind, account.value, client.id_number, client.display_name)


def send_refund_transfer(refund: RefundPayout, bank: PayoutBank | None = None) -> RefundPayout:
    """Ask the bank to pay the committed ``refund`` (idempotent at the bank by its key); an error
    leaves it pending for ``reconcile_payouts``."""
    bank = bank or payout_bank()
    refund = RefundPayout.objects.select_related("loan__client", "bank_account").get(pk=refund.pk)
    if refund.status == RefundPayout.Status.APPROVAL:  # never sent before the second approval
        return refund
    try:
        ack = bank.send_transfer(
            refund.key,
            refund.amount,
            refund_destination(refund),
            purpose=f"Refund, loan {refund.loan.number}",
        )
    except PayoutBankError as exc:
        logger.warning("refund %s: bank call failed, left pending: %s", refund.key, exc)
        audit(
            "servicing.refund_send_unknown", actor="system", target=refund.loan, data={"refund": refund.key}
        )
        return refund
    with transaction.atomic():
        locked = RefundPayout.objects.select_for_update().get(pk=refund.pk)
        if locked.status == RefundPayout.Status.PENDING:
            locked.status = RefundPayout.Status.SENT
            locked.sent_at = timezone.now()
            audit(
                "servicing.refund_payout_sent",
                actor="system",
                target=refund.loan,
                data={"refund": locked.key, "reference": ack.reference},
            )
        if not locked.bank_reference:
            locked.bank_reference = ack.reference
        locked.save(update_fields=["status", "sent_at", "bank_reference"])
    if ack.state in ("paid", "failed"):
        return apply_refund_outcome(locked.key, ack.state, reference=ack.reference)
    return locked


def apply_refund_outcome(
    key: str,
    state: str,
    *,
    reference: str = "",
    value_date: dt.date | None = None,
    reason: str = "",
    actor: Any = "system",
) -> RefundPayout:
    """The bank's final answer for the refund ``key``: paid → ``repayments.refund_paid`` (refund
    payable → bank clearing, keyed by the refund's key); failed → the refund payable stays and a
    new refund may be sent. Idempotent."""
    from qaryz.servicing.repayments import refund_paid

    refund = RefundPayout.objects.filter(key=key).first()
    if refund is None:
        raise WebhookError("unknown refund")
    if state not in ("paid", "failed"):
        return refund
    with transaction.atomic():
        loan = Loan.objects.select_for_update().get(pk=refund.loan_id)
        refund = RefundPayout.objects.select_for_update().get(pk=refund.pk)
        if refund.status == RefundPayout.Status.APPROVAL:  # never sent: no bank can settle it
            logger.error("refund %s: the bank says %s but it awaits approval", key, state)
            return refund
        if refund.status in (RefundPayout.Status.CONFIRMED, RefundPayout.Status.FAILED):
            if (state == "paid") != (refund.status == RefundPayout.Status.CONFIRMED):
                logger.error("refund %s: bank says %s but it is %s", key, state, refund.status)
            return refund
        if reference and not refund.bank_reference:
            refund.bank_reference = reference[:64]
        if state == "paid":
            refund.status = RefundPayout.Status.CONFIRMED
            refund.confirmed_at = timezone.now()
            refund.save(update_fields=["status", "confirmed_at", "bank_reference"])
            refund_paid(
                loan,
                bank_reference=f"refund-{refund.pk}",  # short: the journal's entry column is 40 wide
                amount=refund.amount,
                value_date=value_date or timezone.localdate(),
                channel=Channel.CARD if refund.bank_account.kind == BankAccount.Kind.CARD else Channel.BANK,
            )
        else:
            refund.status = RefundPayout.Status.FAILED
            refund.failure_reason = (reason or "failed")[:200]
            refund.save(update_fields=["status", "failure_reason", "bank_reference"])
        audit(
            "servicing.refund_payout_" + ("confirmed" if state == "paid" else "failed"),
            actor=actor,
            target=loan,
            data={"refund": key, "reference": refund.bank_reference, "reason": refund.failure_reason},
        )
    return refund


def request_overpayment_refund(loan: Loan, *, key: str, actor: Any = None) -> RefundPayout:
    """The client's "refund my overpayment": the advance becomes a refund payable
    (``repayments.refund_advance``) and what is refundable is sent to the client's verified
    account (``send_refund``), once per ``key``."""
    from qaryz.servicing.repayments import refund_advance

    existing = RefundPayout.objects.filter(key=_refund_key(loan, key)).first()
    if existing is not None:
        return existing
    loan = Loan.objects.select_related("client").get(pk=loan.pk)
    if loan.suspended_from is not None:
        raise ServicingError(
            _("This loan is suspended while a fraud case is examined: we will contact you about refunds.")
        )
    _refund_account(loan, payout_bank(), None, actor)  # refuse before moving the advance
    if loan.advance > 0:
        try:
            refund_advance(loan, actor=actor)
        except ServicingError:  # a concurrent request moved it first
            loan.refresh_from_db()
    amount = refundable(Loan.objects.get(pk=loan.pk))
    if amount <= 0:
        same = RefundPayout.objects.filter(key=_refund_key(loan, key)).first()
        if same is not None:
            return same
        raise ServicingError(_("There is no overpayment to refund."))
    return send_refund(loan, amount_tiyn=amount, key=key, actor=actor)


def _reconcile_refunds(bank: PayoutBank, cutoff: dt.datetime, counts: dict[str, int]) -> None:
    stale = RefundPayout.objects.filter(
        status__in=[RefundPayout.Status.PENDING, RefundPayout.Status.SENT], created_at__lte=cutoff
    )
    _ask_the_bank(
        stale.order_by("created_at"), bank, counts, resend=send_refund_transfer, settle=apply_refund_outcome
    )


def _ask_the_bank(items, bank: PayoutBank, counts: dict[str, int], *, resend, settle) -> None:  # type: ignore[no-untyped-def]
    """Ask the bank about each unsettled transfer (a payout or a refund) by its key: unknown → sent
    again with the same key; accepted → left to the bank; paid / failed → settled."""
    for item in items:
        counts["checked"] += 1
        try:
            status = bank.transfer_status(item.key)
        except PayoutBankError:
            counts["unreachable"] += 1
            continue
        if status.state == "unknown":
            resend(item, bank)
            counts["resent"] += 1
        elif status.state == "accepted":
            counts["in_progress"] += 1
        else:
            settle(
                item.key,
                status.state,
                reference=status.reference,
                value_date=status.value_date,
                reason=status.reason,
            )
            counts["confirmed" if status.state == "paid" else "failed"] += 1


# --- cash desk (R-DISB-4) -----------------------------------------------------------------------------
def cash_desk_queue() -> list[Loan]:
    """Loans awaiting a cash payout at the desk, oldest first."""
    return list(
        Loan.objects.filter(
            status=Loan.Status.AWAITING, application__disbursement_method=DisbursementMethod.CASH_DESK
        )
        .exclude(
            payouts__status__in=[
                Payout.Status.APPROVAL,
                Payout.Status.PENDING,
                Payout.Status.SENT,
                Payout.Status.CONFIRMED,
            ]
        )
        .select_related("client", "application__rule_set")
        .order_by("id")
    )


def _norm_doc(value: str) -> str:
    return "".join(ch for ch in (value or "").upper() if ch.isalnum())


def pay_cash(
    loan: Loan,
    *,
    cashier: Any,
    doc_type: str,
    doc_number: str,
    poa_number: str = "",
    poa_date: dt.date | None = None,
    today: dt.date | None = None,
) -> Payout:
    """The cashier identified the client visually against the identity document (for a legal
    entity: its representative's document and power of attorney) and recorded it; the payout
    waits for a second staff member's approval (``approvals.approve`` pays it and activates the
    loan). The antifraud check runs first: a hold or a decline refuses it with a safe message."""
    today = today or timezone.localdate()
    loan = Loan.objects.select_related("application__rule_set", "client").get(pk=loan.pk)
    if loan.application.disbursement_method != DisbursementMethod.CASH_DESK:
        raise ServicingError(_("This loan is not paid out at the cash desk."))
    if loan.status != Loan.Status.AWAITING:
        raise ServicingError(_("This loan has already been paid out."))
    check_cooling_off(loan)
    client = loan.client
    identification: dict[str, Any] = {"doc_type": doc_type, "doc_number_last4": _norm_doc(doc_number)[-4:]}
    if client.kind == Client.Kind.LEGAL_ENTITY:
        signer = getattr(client, "signer", None)
        if signer is None:
            raise _refuse(
                loan, "no_representative", _("The entity has no registered representative."), None, cashier
            )
        expected_type, expected_number, expiry = (
            signer.id_doc_type,
            signer.id_doc_number,
            signer.id_doc_expiry,
        )
        if not poa_number.strip() or poa_date is None:
            raise ServicingError(
                _("Enter the number and date of the representative's power of attorney."), "poa_number"
            )
        if poa_date > today:
            raise ServicingError(_("The power of attorney cannot be dated in the future."), "poa_date")
        identification.update(
            representative=signer.full_name,
            representative_iin=signer.iin,
            poa_number=poa_number.strip()[:50],
            poa_date=poa_date.isoformat(),
        )
    else:
        expected_type, expected_number, expiry = (
            client.id_doc_type,
            client.id_doc_number,
            client.id_doc_expiry,
        )
    if not expected_number:
        raise _refuse(
            loan,
            "no_stored_document",
            _("No identity document is stored for this client: the client must finish identification first."),
            None,
            cashier,
        )
    if doc_type != expected_type or _norm_doc(doc_number) != _norm_doc(expected_number):
        raise _refuse(
            loan,
            "document_mismatch",
            _("The document presented does not match the one stored for the client. Do not pay out."),
            "doc_number",
            cashier,
        )
    if expiry is not None and expiry < today:
        raise _refuse(
            loan,
            "document_expired",
            _("The identity document has expired. Do not pay out."),
            "doc_number",
            cashier,
        )
    _antifraud(loan, None)
    with transaction.atomic():
        locked = Loan.objects.select_for_update().get(pk=loan.pk)
        current = live_payout(locked)
        if current is not None and current.status == Payout.Status.APPROVAL:
            raise ServicingError(_("This cash payout is already waiting for a second approval."))
        if locked.status != Loan.Status.AWAITING or current is not None:
            raise ServicingError(_("This loan has already been paid out."))
        now = timezone.now()
        # Maker–checker: recorded now, paid (and the loan activated) only once another staff
        # member approves it (``approvals.approve``).
        payout = Payout.objects.create(
            loan=locked,
            key=f"cash-{locked.pk}-{secrets.token_hex(8)}",
            channel=Channel.CASH_DESK,
            amount=net_amount(locked),
            destination_masked=_("Cash desk"),
            status=Payout.Status.APPROVAL,
            identification={**identification, "checked_at": now.isoformat()},
            paid_by=cashier,
        )
        audit(
            "servicing.cash_payout_identified",
            actor=cashier,
            target=locked,
            data={"payout": payout.key, "amount": payout.amount, "identification": identification},
        )
        approvals.open_approval(PayoutApproval.Kind.CASH_DESK, payout, maker=cashier)
    return payout


# --- what the client sees -----------------------------------------------------------------------------
STATE_TEXT = {
    "awaiting": (
        gettext_lazy("Not paid out yet"),
        gettext_lazy("The money has not been requested yet."),
    ),
    "pending": (
        gettext_lazy("Being sent"),
        gettext_lazy("We are sending the payment order to the bank. This usually takes a few seconds."),
    ),
    "sent": (
        gettext_lazy("Sent to the bank"),
        gettext_lazy("The bank has accepted the transfer and will confirm it shortly."),
    ),
    "paid": (
        gettext_lazy("Paid out"),
        gettext_lazy("The bank has confirmed the payout. Your loan is active."),
    ),
    "failed": (
        gettext_lazy("Payout failed"),
        gettext_lazy(
            "The bank could not complete the transfer; no money left the MFO. Check your details and request the payout again, or contact us."
        ),
    ),
    "approval": (
        gettext_lazy("Awaiting approval"),
        gettext_lazy(
            "A second staff member of the MFO approves payouts of this size before they are sent. We will send the money once it is approved."
        ),
    ),
    "rejected": (
        gettext_lazy("Payout not approved"),
        gettext_lazy(
            "The MFO's staff did not approve the payout; no money left the MFO. Contact us or request the payout again."
        ),
    ),
    "cash_desk": (
        gettext_lazy("Awaiting you at the cash desk"),
        gettext_lazy("Come to the cash desk with your identity document to receive the money."),
    ),
}


def _leak_recheck(loan: Loan) -> bool:
    from qaryz.leaks.selectors import needs_repeat_biometrics

    return loan.status == Loan.Status.AWAITING and needs_repeat_biometrics(loan.client)


def payout_status(loan: Loan) -> dict[str, Any]:
    """The disbursement status of ``loan`` for pages and the API: state (awaiting / pending / sent /
    paid / failed / approval / rejected / cash_desk), its translated label and explanation, and what the client can do."""
    payouts = list(Payout.objects.filter(loan_id=loan.pk).order_by("-created_at", "-id"))
    current = next((p for p in payouts if p.status != Payout.Status.FAILED), payouts[0] if payouts else None)
    app = loan.application
    method = app.disbursement_method
    if current is not None:
        state = {
            "approval": "approval",
            "pending": "pending",
            "sent": "sent",
            "confirmed": "paid",
            "failed": "failed",
        }[current.status]
    elif loan.status != Loan.Status.AWAITING:
        state = "paid"
    else:
        state = "cash_desk" if method == DisbursementMethod.CASH_DESK else "awaiting"
    if (
        state == "failed"
        and PayoutApproval.objects.filter(payout=current, status=PayoutApproval.Status.REJECTED).exists()
    ):
        state = "rejected"
    label, explanation = STATE_TEXT[state]
    if state == "approval" and method == DisbursementMethod.CASH_DESK:
        explanation = gettext_lazy(
            "A second staff member is approving your cash payout. The cashier hands out the money once it is approved."
        )
    if state == "sent" and method == DisbursementMethod.CASH_TERMINAL:
        explanation = gettext_lazy(
            "The withdrawal code has been sent to you by SMS: enter it at a cash terminal to receive the money."
        )
    when = allowed_at(loan)
    now = timezone.now()
    can_request = (
        loan.status == Loan.Status.AWAITING
        and state in ("awaiting", "failed", "rejected")
        and method != DisbursementMethod.CASH_DESK
        and when is not None
        and now >= when
        and (not consent_required(loan) or consent_given(loan))
    )
    return {
        "state": state,
        "label": str(label),
        "explanation": str(explanation),
        "payout": current,
        "method": method,
        "method_label": str(DisbursementMethod(method).label) if method in DisbursementMethod.values else "",
        "destination": current.destination_masked if current else "",
        "amount": net_amount(loan),
        "amount_kzt": to_kzt(net_amount(loan)),
        "allowed_at": when,
        "cooling_off_over": when is not None and now >= when,
        "consent_required": consent_required(loan),
        "consent_given": consent_given(loan),
        "needs_biometrics": method == DisbursementMethod.MERCHANT or _leak_recheck(loan),
        "biometrics_purpose": MERCHANT_PURPOSE if method == DisbursementMethod.MERCHANT else REPEAT_PURPOSE,
        "can_request": can_request,
    }


# --- unidentified money returned to the payer ------------------------------------------------------
def return_suspense(item: SuspenseItem, *, reason: str, actor: Any) -> SuspenseReturn:
    """Send an unidentified payment back to the account it came from – only that account (the
    statement's payer account), never one typed by staff, so a return cannot be diverted. The
    return row is committed with the item locked and marked "being returned" (it can no longer be
    assigned to a loan) before the bank is called with the return's key as idempotency key; the
    bank's confirmation books suspense → clearing."""
    from qaryz.core.identifiers import IdentifierError, parse_kz_iban

    try:
        iban = parse_kz_iban(item.payer_account).value
    except IdentifierError:
        raise ServicingError(  # noqa: B904 – the identifier's own error says nothing to staff
            _("The bank statement names no valid account of the payer: this payment cannot be returned here.")
        )
    reason = " ".join((reason or "").split())[:300]
    if not reason:
        raise ServicingError(_("Say why the money is returned."), "reason")
    with transaction.atomic():
        locked = SuspenseItem.objects.select_for_update().get(pk=item.pk)
        if locked.status != SuspenseItem.Status.OPEN:
            raise ServicingError(_("This payment is no longer awaiting assignment."))
        attempt = SuspenseReturn.objects.filter(item=locked).count() + 1
        returned = SuspenseReturn.objects.create(
            item=locked,
            key=f"susp-ret-{locked.pk}-{attempt}",
            amount=locked.amount,
            account=iban,
            payer_name=locked.payer,
            reason=reason,
            requested_by=actor if getattr(actor, "is_staff", False) else None,
            status=SuspenseReturn.Status.APPROVAL,
        )
        locked.status = SuspenseItem.Status.RETURNING
        locked.save(update_fields=["status"])
        audit(
            "servicing.suspense_return_requested",
            actor=actor,
            target=locked,
            data={"return": returned.key, "amount": returned.amount, "reason": reason},
        )
        approvals.open_approval(PayoutApproval.Kind.SUSPENSE_RETURN, returned, maker=actor)
    item.status = locked.status
    return returned


def send_suspense_return(returned: SuspenseReturn, bank: PayoutBank | None = None) -> SuspenseReturn:
    """Ask the bank to pay the committed return (idempotent at the bank by its key); an error
    leaves it pending for ``reconcile_payouts``."""
    bank = bank or payout_bank()
    returned = SuspenseReturn.objects.select_related("item").get(pk=returned.pk)
    if returned.status == SuspenseReturn.Status.APPROVAL:  # never sent before the second approval
        return returned
    try:
        ack = bank.send_transfer(
            returned.key,
            returned.amount,
            Destination("iban", returned.account, "", returned.payer_name),
            purpose=f"Return of an unidentified payment, bank reference {returned.item.bank_reference}",
        )
    except PayoutBankError as exc:
        logger.warning("suspense return %s: bank call failed, left pending: %s", returned.key, exc)
        return returned
    SuspenseReturn.objects.filter(pk=returned.pk, status=SuspenseReturn.Status.PENDING).update(
        status=SuspenseReturn.Status.SENT, sent_at=timezone.now(), bank_reference=ack.reference[:64]
    )
    if ack.state in ("paid", "failed"):
        return apply_suspense_return_outcome(returned.key, ack.state, reference=ack.reference)
    return SuspenseReturn.objects.get(pk=returned.pk)


def apply_suspense_return_outcome(
    key: str,
    state: str,
    *,
    reference: str = "",
    value_date: dt.date | None = None,
    reason: str = "",
    actor: Any = "system",
) -> SuspenseReturn:
    """The bank's final answer for the return ``key``: paid → suspense → clearing, the item
    returned; failed → the item awaits assignment again (another return may be sent). Idempotent."""
    from qaryz.servicing import ledger
    from qaryz.servicing.models import AccountKind

    found = SuspenseReturn.objects.filter(key=key).first()
    if found is None:
        raise WebhookError("unknown return")
    if state not in ("paid", "failed"):
        return found
    with transaction.atomic():
        item = SuspenseItem.objects.select_for_update().get(pk=found.item_id)
        returned = SuspenseReturn.objects.select_for_update().get(pk=found.pk)
        if returned.status == SuspenseReturn.Status.APPROVAL:  # never sent: no bank can settle it
            logger.error("suspense return %s: the bank says %s but it awaits approval", key, state)
            return returned
        if returned.status in (SuspenseReturn.Status.CONFIRMED, SuspenseReturn.Status.FAILED):
            return returned
        returned.bank_reference = returned.bank_reference or reference[:64]
        if state == "paid":
            returned.status, returned.confirmed_at = SuspenseReturn.Status.CONFIRMED, timezone.now()
            ledger.post_unassigned(
                [
                    ledger.Leg(
                        AccountKind.SUSPENSE, AccountKind.CLEARING, returned.amount, channel=item.channel
                    )
                ],
                key=returned.key,
                kind="suspense_returned",
                value_date=value_date or timezone.localdate(),
            )
            item.status = SuspenseItem.Status.RETURNED
        else:
            returned.status, returned.failure_reason = (
                SuspenseReturn.Status.FAILED,
                (reason or "failed")[:200],
            )
            item.status = SuspenseItem.Status.OPEN
        returned.save(update_fields=["status", "confirmed_at", "failure_reason", "bank_reference"])
        item.save(update_fields=["status"])
        audit(
            "servicing.suspense_return_" + ("confirmed" if state == "paid" else "failed"),
            actor=actor,
            target=item,
            data={"return": key, "reference": returned.bank_reference, "reason": returned.failure_reason},
        )
    return returned


def _reconcile_suspense_returns(bank: PayoutBank, cutoff: dt.datetime, counts: dict[str, int]) -> None:
    stale = SuspenseReturn.objects.filter(
        status__in=[SuspenseReturn.Status.PENDING, SuspenseReturn.Status.SENT], created_at__lte=cutoff
    )
    _ask_the_bank(
        stale.order_by("created_at"),
        bank,
        counts,
        resend=send_suspense_return,
        settle=apply_suspense_return_outcome,
    )
