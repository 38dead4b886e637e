"""The incident register's writes (R-INC-1, R-FRAUD-1): reporting, measures, affected clients and
their letters, notices to the authority / creditors / service providers, recovery steps and the
confirmation of the normal state. The one writer of ``qaryz.incidents`` rows.

Deadlines are working days (``qaryz.core.workdays``) counted from the day of the report: measures
within ``settings.INCIDENT_MEASURES_WORKING_DAYS`` (environment variable
``QARYZ_INCIDENT_MEASURES_WORKING_DAYS``, default 2), the authority and the affected clients informed
within ``settings.INCIDENT_INFORM_WORKING_DAYS`` (``QARYZ_INCIDENT_INFORM_WORKING_DAYS``, default 1).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qaryz.core import workdays
from qaryz.incidents.models import AffectedClient, Incident, Notice, RecoveryStep
from qaryz.records.services import record_event as audit


class IncidentError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _label(actor: Any) -> str:
    if actor is None or isinstance(actor, str):
        return actor or "system"
    if hasattr(actor, "get_username"):
        return actor.get_username()
    return str(getattr(actor, "pk", ""))


def deadlines(day: Any) -> tuple[Any, Any]:
    """(measures due, inform due) for an incident reported on ``day``."""
    return (
        workdays.add_working_days(day, int(settings.INCIDENT_MEASURES_WORKING_DAYS)),
        workdays.add_working_days(day, int(settings.INCIDENT_INFORM_WORKING_DAYS)),
    )


def report_incident(*, kind: str, summary: str, source: str, actor: Any, asset: Any = None) -> Incident:
    """Register an incident (R-INC-1, R-FRAUD-1); the same ``kind`` from the same ``source`` is one
    incident (a repeated report returns it). Its deadlines are working days from the report (see the
    module docstring for the settings)."""
    if kind not in Incident.Kind.values:
        raise IncidentError(_("Choose the kind of the incident."))
    if not summary.strip() or not source.strip():
        raise IncidentError(_("Describe what happened."))
    existing = Incident.objects.filter(kind=kind, source=source[:120]).first()
    if existing is not None:
        return existing
    now = timezone.now()
    measures_due, inform_due = deadlines(timezone.localdate(now))
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                kind=kind,
                summary=summary.strip(),
                source=source[:120],
                reported_at=now,
                reported_by=_label(actor)[:150],
                measures_due=measures_due,
                inform_due=inform_due,
                asset=asset,
            )
            audit(
                "incidents.reported",
                category="security",
                actor=actor,
                target=incident,
                data={"kind": kind, "source": incident.source},
            )
    except IntegrityError:
        existing = Incident.objects.filter(kind=kind, source=source[:120]).first()
        if existing is None:
            raise
        return existing
    return incident


def register_incident(*, kind: str, summary: str, actor: Any, asset: Any = None) -> Incident:
    """An incident found by staff (the back-office form): its own source reference."""
    return report_incident(
        kind=kind, summary=summary, source=f"backoffice:{uuid.uuid4().hex[:12]}", actor=actor, asset=asset
    )


def _locked(incident: Incident) -> Incident:
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if locked.status == Incident.Status.CLOSED:
        raise IncidentError(_("The incident is closed."))
    return locked


def record_measures(incident: Incident, text: str, *, actor: Any) -> Incident:
    """The measures taken to remove the causes and consequences (due within 2 working days)."""
    if not text.strip():
        raise IncidentError(_("Describe the measures taken."))
    with transaction.atomic():
        locked = _locked(incident)
        locked.measures = text.strip()
        locked.measures_taken_at = locked.measures_taken_at or timezone.now()
        locked.save(update_fields=["measures", "measures_taken_at"])
        late = timezone.localdate(locked.measures_taken_at) > locked.measures_due
        audit(
            "incidents.measures_taken", category="security", actor=actor, target=locked, data={"late": late}
        )
    return locked


def add_affected_client(incident: Incident, client: Any, *, actor: Any) -> AffectedClient:
    with transaction.atomic():
        locked = _locked(incident)
        row, created = AffectedClient.objects.get_or_create(incident=locked, client=client)
        if created:
            audit(
                "incidents.client_affected",
                category="security",
                actor=actor,
                target=locked,
                data={"client": client.pk},
            )
    return row


def _client_subject() -> str:
    return _("An incident concerning your data")


def _client_body(incident: Incident) -> str:
    from qaryz.core.selectors import mfo_profile_in

    mfo = mfo_profile_in()
    found = timezone.localtime(incident.reported_at)
    parts = [
        _(
            "On %(date)s we found an information-security incident that concerns your data or your "
            "microcredits: %(kind)s."
        )
        % {"date": f"{found:%d.%m.%Y}", "kind": incident.get_kind_display()},
        _(
            "We are removing its causes and consequences. We never ask for your password or SMS code: "
            "do not tell them to anyone."
        ),
        _(
            "If you notice an application, a contract or a payment you did not make, write to us in the "
            "personal cabinet or call %(phones)s."
        )
        % {"phones": mfo.phones or mfo.email or mfo.website},
    ]
    return "\n\n".join(parts)


def inform_clients(incident: Incident, *, actor: Any) -> int:
    """Send each affected client not yet informed a letter in their language (R-INC-1). Returns
    how many letters went out."""
    from qaryz.messaging.letters import send_letter
    from qaryz.messaging.services import in_language

    sent = 0
    with transaction.atomic():
        locked = _locked(incident)
        rows = list(
            AffectedClient.objects.select_for_update()
            .filter(incident=locked, informed_at__isnull=True)
            .select_related("client")
        )
        for row in rows:
            letter = send_letter(
                row.client,
                kind="incident_notice",
                subject=in_language(row.client, _client_subject),
                body=in_language(row.client, _client_body, locked),
                reference=f"incidents.incident:{locked.pk}",
            )
            row.letter_id = letter.pk
            row.informed_at = timezone.now()
            row.save(update_fields=["letter_id", "informed_at"])
            sent += 1
        if sent:
            audit(
                "incidents.clients_informed",
                category="security",
                actor=actor,
                target=locked,
                data={"count": sent},
            )
    return sent


def authority_name() -> str:
    return settings.INCIDENT_AUTHORITY_NAME or _(
        "Agency of the Republic of Kazakhstan for Regulation and Development of the Financial Market"
    )


def notice_text(incident: Incident, recipient_kind: str, recipient_name: str) -> tuple[str, str]:
    """(subject, body) of a notice in the active language, with the MFO's details."""
    from qaryz.core.selectors import mfo_profile_in

    mfo = mfo_profile_in()
    found = timezone.localtime(incident.reported_at)
    affected = incident.affected.count()
    subject = _("Notification of an information-security incident %(number)s") % {"number": incident.number}
    lines = [
        f"{_('To')}: {recipient_name}",
        _("From: %(name)s, BIN %(bin)s, %(address)s")
        % {
            "name": mfo.legal_name or mfo.short_name,
            "bin": mfo.bin or "—",
            "address": mfo.legal_address or "—",
        },
        _("On %(date)s at %(time)s the MFO registered an incident: %(kind)s.")
        % {"date": f"{found:%d.%m.%Y}", "time": f"{found:%H:%M}", "kind": incident.get_kind_display()},
        _("What happened: %(summary)s") % {"summary": incident.summary},
        _("Clients affected: %(count)s.") % {"count": affected},
    ]
    if incident.measures_taken_at:
        lines.append(_("Measures taken: %(measures)s") % {"measures": incident.measures})
    else:
        lines.append(
            _("Measures to remove the causes and consequences will be taken by %(date)s.")
            % {"date": f"{incident.measures_due:%d.%m.%Y}"}
        )
    if recipient_kind == Notice.Recipient.AUTHORITY:
        lines.append(
            _("The notice is sent under paragraph 13 of the Rules for providing microcredits electronically.")
        )
    else:
        lines.append(
            _(
                "We inform you to coordinate our actions: please tell us if the incident affects your systems or obligations."
            )
        )
    lines.append(
        _("Contact: %(head)s, %(phones)s, %(email)s")
        % {"head": mfo.first_head_full_name or "—", "phones": mfo.phones or "—", "email": mfo.email or "—"}
    )
    return subject, "\n\n".join(lines)


def prepare_notice(
    incident: Incident, *, recipient_kind: str, recipient_name: str = "", language: str = "ru", actor: Any
) -> Notice:
    """Generate and keep a notice to the authority, a creditor or a service provider."""
    if recipient_kind not in Notice.Recipient.values:
        raise IncidentError(_("Choose the recipient."))
    if language not in ("ru", "kk", "en"):
        raise IncidentError(_("Choose the language of the letter."))
    if recipient_kind != Notice.Recipient.AUTHORITY and not recipient_name.strip():
        raise IncidentError(_("Name the recipient."))
    with transaction.atomic():
        locked = _locked(incident)
        with translation.override(language):
            name = recipient_name.strip() or authority_name()
            subject, body = notice_text(locked, recipient_kind, name)
        notice = Notice.objects.create(
            incident=locked,
            recipient_kind=recipient_kind,
            recipient_name=name[:200],
            language=language,
            subject=subject[:200],
            body=body,
            created_by=_label(actor)[:150],
        )
        audit(
            "incidents.notice_prepared",
            category="security",
            actor=actor,
            target=locked,
            data={"notice": notice.pk, "recipient": recipient_kind},
        )
    return notice


def mark_notice_sent(notice: Notice, *, reference: str, actor: Any) -> Notice:
    """Staff sent the notice (e-mail, the authority's portal, a registered letter): when and how."""
    if not reference.strip():
        raise IncidentError(_("Give the outgoing number or how the notice was sent."))
    with transaction.atomic():
        locked = Notice.objects.select_for_update().get(pk=notice.pk)
        if locked.sent_at is not None:
            raise IncidentError(_("This notice is already marked as sent."))
        locked.sent_at = timezone.now()
        locked.sent_reference = reference.strip()[:120]
        locked.save(update_fields=["sent_at", "sent_reference"])
        incident = locked.incident
        late = timezone.localdate(locked.sent_at) > incident.inform_due
        audit(
            "incidents.notice_sent",
            category="security",
            actor=actor,
            target=incident,
            data={"notice": locked.pk, "recipient": locked.recipient_kind, "late": late},
        )
    return locked


def mail_reference(notice: Notice) -> str:
    return f"incidents.notice:{notice.pk}"


def send_notice(notice: Notice, *, to: str, actor: Any) -> tuple[Notice, Any]:
    """Send the notice by e-mail (``messaging.mail``) and, when the server accepts it, record it
    as sent: the time, the address and the message id. A failure is recorded on the outbox and
    returned (the notice stays unsent; send again to retry). Under the notice's row lock, so two
    clicks never send it twice."""
    from qaryz.messaging import mail
    from qaryz.messaging.models import MailDelivery

    with transaction.atomic():
        locked = Notice.objects.select_for_update().get(pk=notice.pk)
        if locked.sent_at is not None:
            raise IncidentError(_("This notice is already marked as sent."))
        try:
            delivery = mail.send_mail(
                to, locked.subject, locked.body, reference=mail_reference(locked), actor=actor
            )
        except mail.MailAddressError as exc:
            raise IncidentError(exc.message) from None
        incident = locked.incident
        if delivery.status != MailDelivery.Status.SENT:
            audit(
                "incidents.notice_send_failed",
                category="security",
                actor=actor,
                target=incident,
                data={"notice": locked.pk, "delivery": delivery.pk},
            )
            return locked, delivery
        locked.sent_at = delivery.created_at
        locked.sent_to, locked.message_id = delivery.to, delivery.message_id
        locked.sent_reference = (_("e-mail to %(to)s") % {"to": delivery.to})[:120]
        locked.save(update_fields=["sent_at", "sent_to", "message_id", "sent_reference"])
        audit(
            "incidents.notice_sent",
            category="security",
            actor=actor,
            target=incident,
            data={
                "notice": locked.pk,
                "recipient": locked.recipient_kind,
                "late": timezone.localdate(locked.sent_at) > incident.inform_due,
                "delivery": delivery.pk,
            },
        )
    return locked, delivery


def add_step(incident: Incident, *, kind: str, description: str, actor: Any) -> RecoveryStep:
    if kind not in RecoveryStep.Kind.values:
        raise IncidentError(_("Choose the kind of the step."))
    if not description.strip():
        raise IncidentError(_("Describe the step."))
    with transaction.atomic():
        locked = _locked(incident)
        if locked.normal_state_confirmed_at:
            raise IncidentError(_("The normal state is already confirmed."))
        step = RecoveryStep.objects.create(incident=locked, kind=kind, description=description.strip()[:300])
        audit("incidents.step_added", category="security", actor=actor, target=locked, data={"step": step.pk})
    return step


def complete_step(step: RecoveryStep, *, result: str, actor: Any) -> RecoveryStep:
    if not result.strip():
        raise IncidentError(_("Describe the result of the step."))
    with transaction.atomic():
        _locked(step.incident)
        locked = RecoveryStep.objects.select_for_update().get(pk=step.pk)
        if locked.done_at is not None:
            raise IncidentError(_("This step is already done."))
        locked.done_at = timezone.now()
        locked.done_by = _label(actor)[:150]
        locked.result = result.strip()[:300]
        locked.save(update_fields=["done_at", "done_by", "result"])
        audit(
            "incidents.step_done",
            category="security",
            actor=actor,
            target=locked.incident,
            data={"step": locked.pk},
        )
    return locked


def confirm_normal_state(incident: Incident, *, evidence: str, actor: Any) -> Incident:
    """Seed 001 §35: the systems and data are back to normal, confirmed with how it was checked.
    Needs the measures recorded, a restore step and every step done."""
    if not evidence.strip():
        raise IncidentError(_("Describe how the normal state was checked."))
    with transaction.atomic():
        locked = _locked(incident)
        steps = list(locked.steps.all())
        if not locked.measures_taken_at:
            raise IncidentError(_("Record the measures taken first."))
        if not any(s.kind == RecoveryStep.Kind.RESTORE for s in steps):
            raise IncidentError(_("Add the step that restores systems and data first."))
        if any(s.done_at is None for s in steps):
            raise IncidentError(_("Finish every recovery step first."))
        locked.normal_state_confirmed_at = timezone.now()
        locked.normal_state_confirmed_by = _label(actor)[:150]
        locked.normal_state_evidence = evidence.strip()
        locked.save(
            update_fields=["normal_state_confirmed_at", "normal_state_confirmed_by", "normal_state_evidence"]
        )
        audit("incidents.normal_state_confirmed", category="security", actor=actor, target=locked)
    return locked


def close_incident(incident: Incident, *, actor: Any) -> Incident:
    """Close once the normal state is confirmed, the authority's notice sent and every affected
    client informed."""
    with transaction.atomic():
        locked = _locked(incident)
        if not locked.normal_state_confirmed_at:
            raise IncidentError(_("Confirm the normal state first."))
        if not locked.notices.filter(
            recipient_kind=Notice.Recipient.AUTHORITY, sent_at__isnull=False
        ).exists():
            raise IncidentError(_("Send the notice to the authority first."))
        if locked.affected.filter(informed_at__isnull=True).exists():
            raise IncidentError(_("Inform every affected client first."))
        locked.status = Incident.Status.CLOSED
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at"])
        audit("incidents.closed", category="security", actor=actor, target=locked)
    return locked


def link_asset(incident: Incident, asset: Any, *, actor: Any) -> Incident:
    """Name the critical asset the incident concerns (the risk register counts past incidents)."""
    with transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        locked.asset = asset
        locked.save(update_fields=["asset"])
        audit(
            "incidents.asset_linked",
            category="security",
            actor=actor,
            target=locked,
            data={"asset": asset.pk},
        )
    return locked
