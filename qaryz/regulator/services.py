"""Channel configuration, notices to the authority and the blocking check (R-REG-1..2, Rules §4–5).

* ``prepare_notice`` generates the notice from the channel's configuration (name, address, service
  list, security procedures) in Russian and Kazakh with the MFO's details; it is due 10 working
  days (``settings.REGULATOR_NOTICE_WORKING_DAYS``) before the planned date. The same configuration
  gives the same notice; a changed one (e.g. a service added) gives a new notice.
* ``mark_sent`` records the outgoing number and date.
* ``put_into_effect`` opens the channel (or applies the change): refused while the notice of the
  current configuration is not sent, or before both the planned date and the sending date + 10
  working days.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from qaryz.core import workdays
from qaryz.records.services import record_event as audit
from qaryz.regulator.models import Channel, ChannelService, Notice, Service


class RegulatorError(Exception):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _label(actor: Any) -> str:
    if actor is None or isinstance(actor, str):
        return actor or "system"
    return actor.get_username() if hasattr(actor, "get_username") else str(actor)


def notice_days() -> int:
    return int(settings.REGULATOR_NOTICE_WORKING_DAYS)


def configuration(channel: Channel) -> dict[str, Any]:
    services = sorted(channel.services.values_list("service", flat=True))
    return {
        "kind": channel.kind,
        "name": channel.name.strip(),
        "address": channel.address.strip(),
        "services": services,
        "security_procedures": channel.security_procedures.strip(),
    }


def fingerprint(config: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def save_channel(channel: Channel, services: list[str], *, actor: Any) -> Channel:
    """Create or change a channel and its service list. An open channel keeps serving what its
    notice in effect lists until a new notice takes effect."""
    unknown = [s for s in services if s not in Service.values]
    if unknown:
        raise RegulatorError(_("Unknown service."), "services")
    if not services:
        raise RegulatorError(_("Choose at least one service."), "services")
    with transaction.atomic():
        channel.full_clean(exclude=["enabled", "enabled_at", "live_notice"])
        if channel.pk:  # the open state changes only through put_into_effect / close_channel
            channel.save(update_fields=["kind", "name", "address", "security_procedures"])
        else:
            channel.enabled, channel.live_notice = False, None
            channel.save()
        ChannelService.objects.filter(channel=channel).exclude(service__in=services).delete()
        for code in services:
            ChannelService.objects.get_or_create(channel=channel, service=code)
        audit(
            "regulator.channel_saved",
            category="security",
            actor=actor,
            target=channel,
            data={"services": sorted(services)},
        )
    return channel


def _text(channel: Channel, config: dict[str, Any], kind: str, effective_on: dt.date) -> str:
    from qaryz.core.selectors import mfo_profile_in

    mfo = mfo_profile_in()
    kind_label = Channel.Kind(config["kind"]).label
    services = [f"{n}) {Service(code).label}" for n, code in enumerate(config["services"], 1)]
    documents = [line.strip() for line in config["security_procedures"].splitlines() if line.strip()]
    head = _(
        "To the Agency of the Republic of Kazakhstan for Regulation and Development of the Financial Market"
    )
    sender = _("From: %(name)s, BIN %(bin)s, %(address)s, %(phones)s, %(email)s") % {
        "name": mfo.legal_name or mfo.short_name,
        "bin": mfo.bin or "—",
        "address": mfo.legal_address or "—",
        "phones": mfo.phones or "—",
        "email": mfo.email or "—",
    }
    if kind == Notice.Kind.NEW:
        title = _("Notice of the opening of a channel for providing microcredits electronically")
        lead = _(
            "Under paragraph 4 of the Rules for providing microcredits electronically, %(mfo)s notifies that "
            "on %(date)s it opens: %(kind)s «%(name)s» (%(address)s)."
        )
    else:
        title = _(
            "Notice of a change of the information on a channel for providing microcredits electronically"
        )
        lead = _(
            "Under paragraph 5 of the Rules for providing microcredits electronically, %(mfo)s notifies that "
            "from %(date)s the information on %(kind)s «%(name)s» (%(address)s) changes as follows."
        )
    lead = lead % {
        "mfo": mfo.short_name or mfo.legal_name,
        "date": f"{effective_on:%d.%m.%Y}",
        "kind": str(kind_label).lower(),
        "name": config["name"],
        "address": config["address"],
    }
    parts = [
        head,
        sender,
        title,
        lead,
        _(
            "1. Name of the web resource or mobile application, or location of the terminal: %(name)s, %(address)s."
        )
        % {"name": config["name"], "address": config["address"]},
        _("2. Services (operations) provided through it:") + "\n" + "\n".join(services),
        _(
            "3. The MFO has approved procedures for security and protection of information against "
            "unauthorised access when providing services through it; attached:"
        )
        + "\n"
        + "\n".join(f"– {d}" for d in documents),
        _("First head: %(head)s") % {"head": mfo.first_head_full_name or "—"},
    ]
    return "\n\n".join(str(p) for p in parts)


def prepare_notice(
    channel: Channel, *, effective_on: dt.date, actor: Any, today: dt.date | None = None
) -> tuple[Notice, bool]:
    """The notice of the channel's current configuration: (notice, created). The same
    configuration returns its existing unsent or sent notice; a changed configuration a new one."""
    today = today or timezone.localdate()
    days = notice_days()
    earliest = workdays.add_working_days(today, days)
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        config = configuration(locked)
        if not config["services"]:
            raise RegulatorError(_("Choose at least one service."), "services")
        if not config["security_procedures"]:
            raise RegulatorError(_("List the approved security procedures."), "security_procedures")
        print_ = fingerprint(config)
        existing = locked.notices.filter(fingerprint=print_).order_by("-created_at", "-id").first()
        if existing is not None and (existing.in_effect_at is None or locked.live_notice_id == existing.pk):
            return existing, False
        if effective_on < earliest:
            raise RegulatorError(
                _(
                    "The notice must reach the authority %(days)s working days before: the earliest date is "
                    "%(date)s."
                )
                % {"days": days, "date": f"{earliest:%d.%m.%Y}"},
                "effective_on",
            )
        kind = Notice.Kind.CHANGE if locked.live_notice_id else Notice.Kind.NEW
        texts = {}
        for language in ("ru", "kk"):
            with translation.override(language):
                texts[language] = _text(locked, config, kind, effective_on)
        notice = Notice.objects.create(
            channel=locked,
            kind=kind,
            name=config["name"],
            address=config["address"],
            services=config["services"],
            security_procedures=config["security_procedures"],
            fingerprint=print_,
            effective_on=effective_on,
            send_by=workdays.add_working_days(effective_on, -days),
            text_ru=texts["ru"],
            text_kk=texts["kk"],
            created_by=_label(actor)[:150],
        )
        audit(
            "regulator.notice_prepared",
            category="security",
            actor=actor,
            target=locked,
            data={"notice": notice.pk, "kind": kind, "services": config["services"]},
        )
    return notice, True


def mark_sent(notice: Notice, *, sent_on: dt.date, reference: str, actor: Any) -> Notice:
    if not reference.strip():
        raise RegulatorError(_("Give the outgoing number."), "reference")
    if sent_on > timezone.localdate():
        raise RegulatorError(_("The sending date cannot be in the future."), "sent_on")
    with transaction.atomic():
        locked = Notice.objects.select_for_update().get(pk=notice.pk)
        if locked.sent_on is not None:
            raise RegulatorError(_("This notice is already marked as sent."))
        locked.sent_on, locked.sent_reference = sent_on, reference.strip()[:120]
        locked.save(update_fields=["sent_on", "sent_reference"])
        audit(
            "regulator.notice_sent",
            category="security",
            actor=actor,
            target=locked.channel,
            data={"notice": locked.pk, "late": sent_on > locked.send_by},
        )
    return locked


def mail_reference(notice: Notice) -> str:
    return f"regulator.notice:{notice.pk}"


def send_notice(notice: Notice, *, to: str, actor: Any) -> tuple[Notice, Any]:
    """Send the notice to the authority by e-mail (``messaging.mail``: its Russian and Kazakh
    texts in one message) and, once the server accepts it, record it as sent today with the
    address and the message id as its outgoing reference. A failure is recorded on the outbox and
    returned (the notice stays unsent: send again to retry). Under the notice's row lock."""
    from qaryz.messaging import mail
    from qaryz.messaging.models import MailDelivery

    with transaction.atomic():
        locked = Notice.objects.select_for_update().select_related("channel").get(pk=notice.pk)
        if locked.sent_on is not None:
            raise RegulatorError(_("This notice is already marked as sent."))
        with translation.override("ru"):
            subject = _("Notice %(number)s: %(kind)s «%(name)s»") % {
                "number": locked.number,
                "kind": str(Channel.Kind(locked.channel.kind).label).lower(),
                "name": locked.name,
            }
        body = f"{locked.text_ru}\n\n* * *\n\n{locked.text_kk}"
        try:
            delivery = mail.send_mail(to, subject, body, reference=mail_reference(locked), actor=actor)
        except mail.MailAddressError as exc:
            raise RegulatorError(exc.message, "to") from None
        if delivery.status != MailDelivery.Status.SENT:
            audit(
                "regulator.notice_send_failed",
                category="security",
                actor=actor,
                target=locked.channel,
                data={"notice": locked.pk, "delivery": delivery.pk},
            )
            return locked, delivery
        locked.sent_at = delivery.created_at
        locked.sent_on = timezone.localdate(delivery.created_at)
        locked.sent_to, locked.message_id = delivery.to, delivery.message_id
        locked.sent_reference = delivery.message_id[:120]
        locked.save(update_fields=["sent_at", "sent_on", "sent_to", "message_id", "sent_reference"])
        audit(
            "regulator.notice_sent",
            category="security",
            actor=actor,
            target=locked.channel,
            data={"notice": locked.pk, "late": locked.sent_on > locked.send_by, "delivery": delivery.pk},
        )
    return locked, delivery


def earliest_effect(notice: Notice) -> dt.date | None:
    """The first day the notice may take effect: its planned date, and not before 10 working days
    after it was sent; None while it is not sent."""
    if notice.sent_on is None:
        return None
    return max(notice.effective_on, workdays.add_working_days(notice.sent_on, notice_days()))


def blocking_reason(channel: Channel, notice: Notice | None, today: dt.date) -> str | None:
    """Why the channel cannot be opened / the change put into effect today (None: it can)."""
    if notice is None:
        return _("Prepare the notice to the authority first.")
    if notice.fingerprint != fingerprint(configuration(channel)):
        return _("The configuration changed after this notice: prepare a new notice.")
    if notice.sent_on is None:
        return _("The notice has not been sent to the authority yet.")
    earliest = earliest_effect(notice)
    if earliest is not None and today < earliest:
        return _("Not before %(date)s: the authority must have the notice %(days)s working days before.") % {
            "date": f"{earliest:%d.%m.%Y}",
            "days": notice_days(),
        }
    if notice.in_effect_at is not None and channel.live_notice_id == notice.pk and channel.enabled:
        return _("This notice is already in effect.")
    return None


def put_into_effect(notice: Notice, *, actor: Any, today: dt.date | None = None) -> Channel:
    """Open the channel or apply the notified change (R-REG-1..2): the blocking check runs under
    the channel's row lock."""
    today = today or timezone.localdate()
    with transaction.atomic():
        channel = Channel.objects.select_for_update().get(pk=notice.channel_id)
        locked = Notice.objects.select_for_update().get(pk=notice.pk)
        reason = blocking_reason(channel, locked, today)
        if reason:
            audit(
                "regulator.opening_refused",
                category="security",
                actor=actor,
                target=channel,
                data={"notice": locked.pk, "reason": reason},
            )
            raise RegulatorError(reason)
        locked.in_effect_at = timezone.now()
        locked.save(update_fields=["in_effect_at"])
        channel.enabled, channel.live_notice = True, locked
        channel.enabled_at = channel.enabled_at or locked.in_effect_at
        channel.save(update_fields=["enabled", "live_notice", "enabled_at"])
        audit(
            "regulator.channel_opened" if locked.kind == Notice.Kind.NEW else "regulator.change_in_effect",
            category="security",
            actor=actor,
            target=channel,
            data={"notice": locked.pk, "services": locked.services},
        )
    return channel


def close_channel(channel: Channel, *, actor: Any) -> Channel:
    with transaction.atomic():
        locked = Channel.objects.select_for_update().get(pk=channel.pk)
        locked.enabled = False
        locked.save(update_fields=["enabled"])
        audit("regulator.channel_closed", category="security", actor=actor, target=locked)
    return locked
