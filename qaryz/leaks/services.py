"""Data-leak measures (R-LEAK-1, Rules §36). ``mark_leaked`` records that a client's personal data
leaked and sets off the three measures:

1. a repeat biometric identification: until the client passes one after the mark, the next
   sensitive action asks for it (``selectors.needs_repeat_biometrics``; lending signing and payouts
   call ``repeat_biometrics_passed`` when it is done);
2. the check that the phone number belongs to the client at the mobile operator (``ports``);
3. a verification-call task whose script tells the client about the leak and recommends a
   voluntary refusal of loans (registered by the client through eGov / the credit bureau; the
   lending room already declines applications when the bureau reports one).

The mark closes once the biometrics were repeated, the phone matched and the call was made.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qaryz.leaks.models import CallTask, LeakMark, PhoneCheck
from qaryz.leaks.ports import MobileOperator, OperatorError
from qaryz.records.services import record_event as audit


class LeakError(Exception):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _label(actor: Any) -> str:
    if actor is None or isinstance(actor, str):
        return actor or "system"
    return actor.get_username() if hasattr(actor, "get_username") else str(actor)


def mobile_operator() -> MobileOperator:
    if settings.LEAKS_OPERATOR == "http":
        from qaryz.leaks.adapters.http import HttpMobileOperator

        return HttpMobileOperator(
            settings.LEAKS_OPERATOR_URL,
            token=settings.LEAKS_OPERATOR_TOKEN,
            timeout=settings.LEAKS_OPERATOR_TIMEOUT,
        )
    from qaryz.leaks.adapters.embedded import EmbeddedMobileOperator

    return EmbeddedMobileOperator()


def call_script(client: Any) -> str:
    """The verification call's script in the active language."""
    from qaryz.core.selectors import mfo_profile_in

    mfo = mfo_profile_in()
    name = " ".join(p for p in (client.given_name, client.patronymic) if p) or client.display_name
    parts = [
        _("Good day, %(name)s. This is %(mfo)s calling about the safety of your personal data.")
        % {"name": name, "mfo": mfo.short_name or mfo.legal_name},
        _(
            "We have learnt that your personal data may have become known to other people. Someone could try "
            "to take a microcredit in your name."
        ),
        _(
            "Please confirm: did you apply for a microcredit or change your phone number or bank account recently?"
        ),
        _(
            "We recommend that you register a voluntary refusal of loans: through eGov.kz or the credit bureau. "
            "While it is registered, banks and microfinance organisations refuse loans in your name; you can "
            "withdraw it later."
        ),
        _("At your next contract signing or payout we will ask you to pass the face check again."),
        _("Never tell anyone your password or SMS codes. Our staff will never ask for them."),
    ]
    return "\n\n".join(parts)


def mark_leaked(client: Any, *, reason: str, source: str, actor: Any) -> LeakMark:
    """Mark the client's data as leaked and set off the measures (see the module docstring)."""
    if not reason.strip():
        raise LeakError(_("Give the reason."), "reason")
    if not source.strip():
        raise LeakError(_("Say how the MFO learnt of the leak."), "source")
    language = client.preferred_language or "ru"
    try:
        with transaction.atomic():
            mark = LeakMark.objects.create(
                client=client,
                reason=reason.strip(),
                source=source.strip()[:200],
                marked_at=timezone.now(),
                marked_by=_label(actor)[:150],
                phone=client.phone,
            )
            with translation.override(language):
                script = call_script(client)
            CallTask.objects.create(leak=mark, language=language, script=script)
            audit(
                "leaks.marked",
                category="security",
                actor=actor,
                target=client,
                data={"mark": mark.pk, "source": mark.source},
            )
    except IntegrityError as exc:
        raise LeakError(_("The client's data are already marked as leaked.")) from exc
    return check_phone(mark, actor=actor)


def check_phone(mark: LeakMark, *, actor: Any) -> LeakMark:
    """Ask the mobile operator whether the client's current phone belongs to their IIN."""
    client = mark.client
    phone, iin = client.phone, client.iin or ""
    try:
        answer = mobile_operator().check_owner(phone, iin)
        result, operator = answer.result, answer.operator
    except OperatorError:
        result, operator = PhoneCheck.ERROR, ""
    with transaction.atomic():
        locked = LeakMark.objects.select_for_update().get(pk=mark.pk)
        locked.phone, locked.phone_check, locked.phone_operator = phone, result, operator[:60]
        locked.phone_checked_at = timezone.now()
        locked.save(update_fields=["phone", "phone_check", "phone_operator", "phone_checked_at"])
        audit(
            "leaks.phone_checked",
            category="security",
            actor=actor,
            target=client,
            data={"mark": locked.pk, "result": result},
        )
    return locked


def repeat_biometrics_passed(client: Any, *, verification_id: Any, action: str) -> bool:
    """A sensitive action passed a biometric identification made after the mark: the repeat
    check is done. Returns whether an open mark was waiting for it."""
    with transaction.atomic():
        mark = (
            LeakMark.objects.select_for_update()
            .filter(client=client, closed_at__isnull=True, biometrics_repeated_at__isnull=True)
            .first()
        )
        if mark is None:
            return False
        mark.biometrics_repeated_at = timezone.now()
        mark.biometrics_verification = str(verification_id)[:64]
        mark.biometrics_action = action[:40]
        mark.save(update_fields=["biometrics_repeated_at", "biometrics_verification", "biometrics_action"])
        audit(
            "leaks.biometrics_repeated",
            category="security",
            actor=client,
            target=client,
            data={"mark": mark.pk, "action": action},
        )
    return True


def record_call(
    task: CallTask, *, status: str, outcome: str, refusal_recommended: bool, actor: Any
) -> CallTask:
    if status not in (CallTask.Status.DONE, CallTask.Status.UNREACHABLE):
        raise LeakError(_("Choose how the call went."), "status")
    if status == CallTask.Status.DONE and not refusal_recommended:
        raise LeakError(
            _("The script asks to recommend a voluntary refusal of loans: confirm you did."),
            "refusal_recommended",
        )
    if status == CallTask.Status.DONE and not outcome.strip():
        raise LeakError(_("Write what the client said."), "outcome")
    with transaction.atomic():
        locked = CallTask.objects.select_for_update().get(pk=task.pk)
        if locked.status == CallTask.Status.DONE:
            raise LeakError(_("The call is already recorded."))
        locked.attempts += 1
        locked.status = status
        locked.outcome = outcome.strip()
        locked.refusal_recommended = refusal_recommended
        if status == CallTask.Status.DONE:
            locked.done_at, locked.done_by = timezone.now(), _label(actor)[:150]
        locked.save()
        audit(
            "leaks.call_recorded",
            category="security",
            actor=actor,
            target=locked.leak.client,
            data={"mark": locked.leak_id, "status": status, "attempt": locked.attempts},
        )
    return locked


def close_mark(mark: LeakMark, *, actor: Any) -> LeakMark:
    with transaction.atomic():
        locked = LeakMark.objects.select_for_update().get(pk=mark.pk)
        if locked.closed_at:
            raise LeakError(_("The mark is already closed."))
        if not locked.biometrics_repeated_at:
            raise LeakError(_("The client has not repeated the biometric identification yet."))
        if locked.phone_check != PhoneCheck.MATCH:
            raise LeakError(_("The phone number is not confirmed as the client's: check it again."))
        if locked.call.status != CallTask.Status.DONE:
            raise LeakError(_("Make the verification call first."))
        locked.closed_at = timezone.now()
        locked.save(update_fields=["closed_at"])
        audit(
            "leaks.closed", category="security", actor=actor, target=locked.client, data={"mark": locked.pk}
        )
    return locked
