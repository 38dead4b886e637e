"""Contract amendments: "amendments follow the same path" as the contract (issue 7, R-SIGN-1).

Part of the lending services (the only writers of ``ContractAmendment``). A signed contract's term,
schedule method or payment day changes at the client's request (``request_amendment``) or on the
MFO's proposal (``propose_amendment``); either way the supplementary agreement is

1. built: the whole schedule is rebuilt from the contract's start date with the same amount, rate,
   day-count basis and fees, and the new term / method / payment day; the first due date is the
   first payment day at least ``QARYZ_LENDING_FIRST_PERIOD_MIN_DAYS`` after the day of the
   amendment, so no instalment of the new schedule is already due;
2. checked against the caps of the rule set in force today – an amendment breaking a cap is
   refused (the refusal is audited);
3. rendered as a PDF from the versioned template (``amendment`` section) in the client's
   language, stored in the vault and shown before signing (R-CAB-3);
4. signed exactly like the contract (``signing.py``): fresh biometrics AND EDS (an IE's business
   loan: biometrics only); evidence on the row, in the vault and in the audit trail.

Amendments are possible until the first instalment of the schedule in force falls due. Later the
schedule must start from the loan's actual balance, which the servicing room (not built yet) keeps;
``request_amendment`` then refuses with a message saying so.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from qaryz.lending import signing
from qaryz.lending.caps import loan_breaches
from qaryz.lending.errors import FlowError
from qaryz.lending.models import Application, Contract, ContractAmendment
from qaryz.lending.products import breach_message, caps_of, product_loan_terms, rule_set_in_force
from qaryz.lending.schedules import ScheduleError, build_schedule
from qaryz.records.services import record_event as audit
from qaryz.records.services import store_document

AMENDABLE_APPLICATION_STATUSES = (Application.Status.SIGNED, Application.Status.DISBURSED)


# --- reads used by the services below (also exposed through selectors) ---------------------------
def latest_signed(contract: Contract) -> ContractAmendment | None:
    return (
        ContractAmendment.objects.filter(contract=contract, status=ContractAmendment.Status.SIGNED)
        .order_by("-sequence")
        .first()
    )


def terms_in_force(contract: Contract) -> dict[str, Any]:
    """Term, method, payment day, schedule and effective rate of the contract as last amended."""
    amendment = latest_signed(contract)
    if amendment is not None:
        return {
            "term_months": amendment.term_months,
            "method": amendment.method,
            "payment_day": amendment.payment_day,
            "schedule": amendment.schedule,
            "effective_rate_percent": amendment.effective_rate_percent,
            "document": amendment.number,
        }
    app = contract.application
    return {
        "term_months": app.term_months,
        "method": app.method,
        "payment_day": None,  # the disbursement day
        "schedule": app.offer_schedule,
        "effective_rate_percent": app.effective_rate_percent,
        "document": contract.number,
    }


def schedule_start(schedule: dict) -> dt.date:
    """The start (disbursement) date of a stored schedule: first due date minus its period."""
    first = schedule["instalments"][0]
    return dt.date.fromisoformat(first["due_date"]) - dt.timedelta(days=int(first["days"]))


def first_due_date(schedule: dict) -> dt.date:
    return dt.date.fromisoformat(schedule["instalments"][0]["due_date"])


# --- building ---------------------------------------------------------------------------------------
def _check_amendable(contract: Contract, today: dt.date) -> dict[str, Any]:
    if contract.status != Contract.Status.SIGNED:
        raise FlowError(_("Only a signed contract can be amended."))
    if contract.application.status not in AMENDABLE_APPLICATION_STATUSES:
        raise FlowError(_("This contract can no longer be amended."))
    current = terms_in_force(contract)
    if first_due_date(current["schedule"]) <= today:
        raise FlowError(
            _(
                "After the first instalment the schedule is rebuilt from the loan's balance, which "
                "is not available online yet: contact the MFO."
            )
        )
    return current


def _normalise(contract: Contract, term_months: int, method: str, payment_day: int | None) -> None:
    product = contract.application.product
    if not product.min_term_months <= term_months <= product.max_term_months:
        raise FlowError(
            _("The term must be between %(min)s and %(max)s months.")
            % {"min": product.min_term_months, "max": product.max_term_months},
            "term_months",
        )
    if method not in product.allowed_methods:
        raise FlowError(_("Choose one of the product's schedule methods."), "method")
    if payment_day is not None and not 1 <= payment_day <= 31:
        raise FlowError(_("The payment day must be between 1 and 31."), "payment_day")


def _build(
    contract: Contract,
    *,
    initiator: str,
    term_months: int,
    method: str,
    payment_day: int | None,
    reason: str,
    proposed_by: Any,
    language: str | None,
) -> ContractAmendment:
    from qaryz.lending import contracts
    from qaryz.lending.previews import schedule_dict, to_json
    from qaryz.lending.services import contract_language

    contract = Contract.objects.select_for_update().select_related("application__client").get(pk=contract.pk)
    app = contract.application
    actor = proposed_by or app.client
    today = timezone.localdate()
    current = _check_amendable(contract, today)
    if ContractAmendment.objects.filter(contract=contract, status=ContractAmendment.Status.DRAFT).exists():
        raise FlowError(_("An amendment is already waiting for signature: sign or withdraw it first."))
    _normalise(contract, term_months, method, payment_day)
    wanted = {"term_months": term_months, "method": method, "payment_day": payment_day}
    changes = {k: [current[k], v] for k, v in wanted.items() if current[k] != v}
    if not changes:
        raise FlowError(_("Change at least one of the terms."), "term_months")
    start = schedule_start(current["schedule"])
    minimum = settings.LENDING_FIRST_PERIOD_MIN_DAYS
    terms = product_loan_terms(app.product, app.amount, term_months, method, start)
    terms = dataclasses.replace(
        terms, payment_day=payment_day, first_period_min_days=max(minimum, (today - start).days + minimum)
    )
    rule_set = rule_set_in_force(today)
    try:
        breaches = loan_breaches(terms, caps_of(rule_set), settings.LENDING_RATE_YEAR_DAYS)
        schedule = json.loads(to_json(schedule_dict(build_schedule(terms))))
    except ScheduleError as exc:
        raise FlowError(exc.message, exc.field) from None
    if breaches:
        raise _CapRefused(
            _("This change would break a legal limit: %(detail)s")
            % {"detail": breach_message(breaches[0], rule_set)},
            actor=actor,
            contract=contract,
            data={
                "changes": changes,
                "rule_set": rule_set.code,
                "breaches": [
                    {"field": b.field, "limit": str(b.limit), "value": str(b.value)} for b in breaches
                ],
            },
        )
    sequence = (
        ContractAmendment.objects.filter(contract=contract).aggregate(n=Max("sequence"))["n"] or 0
    ) + 1
    amendment = ContractAmendment(
        contract=contract,
        sequence=sequence,
        number=f"{contract.number}-D{sequence}",
        initiator=initiator,
        proposed_by=proposed_by,
        reason=reason.strip()[:500],
        changes=changes,
        term_months=term_months,
        method=method,
        payment_day=payment_day,
        start_date=start,
        schedule=schedule,
        effective_rate_percent=Decimal(schedule["effective_rate_percent"]),
        previous_effective_rate_percent=current["effective_rate_percent"],
        rule_set=rule_set,
        template_version=settings.LENDING_CONTRACT_TEMPLATE,
        language=contract_language(app.client, language or contract.language),
    )
    pdf = contracts.render_amendment(amendment, version=amendment.template_version)
    amendment.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    amendment.vault_document_id = str(
        store_document(
            pdf,
            media_type="application/pdf",
            kind="loan_amendment_draft",
            direction="outbound",
            owner=app.client,
            filename=f"{amendment.number}.pdf",
        ).pk
    )
    amendment.save()
    audit(
        "lending.amendment_prepared",
        actor=actor,
        target=amendment,
        data={
            "contract": contract.number,
            "number": amendment.number,
            "initiator": initiator,
            "changes": changes,
            "sha256": amendment.pdf_sha256,
            "effective_rate_percent": str(amendment.effective_rate_percent),
            "rule_set": rule_set.code,
            "template": amendment.template_version,
        },
    )
    return amendment


class _CapRefused(FlowError):
    """A cap would be broken: the refusal is audited after the amendment's transaction rolls back."""

    def __init__(self, message: str, *, actor: Any, contract: Contract, data: dict) -> None:
        super().__init__(message, "term_months")
        self.actor, self.contract, self.data = actor, contract, data


def _build_audited(contract: Contract, **kwargs: Any) -> ContractAmendment:
    try:
        with transaction.atomic():
            return _build(contract, **kwargs)
    except _CapRefused as refused:
        audit("lending.amendment_refused", actor=refused.actor, target=refused.contract, data=refused.data)
        raise FlowError(refused.message, refused.field) from None


def request_amendment(
    contract: Contract,
    *,
    term_months: int,
    method: str,
    payment_day: int | None = None,
    reason: str = "",
    language: str | None = None,
) -> ContractAmendment:
    """The client asks to change the term, the schedule method or the payment day."""
    return _build_audited(
        contract,
        initiator=ContractAmendment.Initiator.CLIENT,
        term_months=term_months,
        method=method,
        payment_day=payment_day,
        reason=reason,
        proposed_by=None,
        language=language,
    )


def propose_amendment(
    contract: Contract,
    *,
    officer: Any,
    term_months: int,
    method: str,
    payment_day: int | None = None,
    reason: str = "",
) -> ContractAmendment:
    """The MFO proposes a change; it binds only once the client signs it like the contract."""
    if officer is None or not getattr(officer, "is_staff", False):
        raise FlowError(_("Only MFO staff can propose an amendment."))
    return _build_audited(
        contract,
        initiator=ContractAmendment.Initiator.MFO,
        term_months=term_months,
        method=method,
        payment_day=payment_day,
        reason=reason,
        proposed_by=officer,
        language=None,
    )


# --- signing (the contract's path: signing.py) --------------------------------------------------------
def _draft(amendment: ContractAmendment) -> ContractAmendment:
    locked = (
        ContractAmendment.objects.select_for_update()
        .select_related("contract__application__client", "rule_set")
        .get(pk=amendment.pk)
    )
    if locked.status != ContractAmendment.Status.DRAFT:
        raise FlowError(_("This amendment is no longer waiting for signature."))
    return locked


@transaction.atomic
def start_amendment_signing(amendment: ContractAmendment) -> str:
    """The EDS signing request over the amendment's exact PDF ("" for an IE's business loan)."""
    locked = _draft(amendment)
    request_id = signing.signing_request_id(
        locked, locked.contract.application.client, title=f"Дополнительное соглашение {locked.number}"
    )
    amendment.signing_request_id = request_id
    return request_id


def complete_amendment_signing(amendment: ContractAmendment) -> ContractAmendment:
    """Signed with a fresh biometric identification and the EDS (R-SIGN-1), like the contract.

    Refused when the amendment went out of date: the legal rule set in force changed, or the
    schedule it replaces reached its first due date meanwhile. The antifraud check runs first,
    outside the signing's transaction so its records stay (R-AF-1): a hold suspends the signing
    until a security officer decides, a decline blocks it, both with a safe message."""
    if amendment.status == ContractAmendment.Status.DRAFT:
        from qaryz.lending.services import antifraud

        client = Contract.objects.select_related("application__client").get(pk=amendment.contract_id)
        antifraud("amendment", client.application.client, f"amendment:{amendment.pk}")
    return _complete_amendment_signing(amendment)


@transaction.atomic
def _complete_amendment_signing(amendment: ContractAmendment) -> ContractAmendment:
    locked = _draft(amendment)
    contract = locked.contract
    today = timezone.localdate()
    _check_amendable(contract, today)
    if rule_set_in_force(today).pk != locked.rule_set_id or first_due_date(locked.schedule) <= today:
        raise FlowError(_("This amendment is out of date: withdraw it and request the change again."))
    signing.seal(locked, contract.application.client, kind="amendment")
    amendment.__dict__.update({k: v for k, v in locked.__dict__.items() if not k.startswith("_")})
    return locked


@transaction.atomic
def withdraw_amendment(amendment: ContractAmendment, *, actor: Any = None) -> ContractAmendment:
    """The client declines (or the MFO takes back) an amendment not yet signed."""
    locked = _draft(amendment)
    locked.status = ContractAmendment.Status.WITHDRAWN
    locked.withdrawn_at = timezone.now()
    locked.save(update_fields=["status", "withdrawn_at"])
    audit(
        "lending.amendment_withdrawn",
        actor=actor or locked.contract.application.client,
        target=locked,
        data={"number": locked.number},
    )
    amendment.status, amendment.withdrawn_at = locked.status, locked.withdrawn_at
    return locked
