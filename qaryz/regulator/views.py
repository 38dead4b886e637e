"""Back-office pages of the channels and their notices to the authority (R-REG-1..2).
Permissions: ``regulator.view_channel`` to read, ``regulator.manage_channel`` to configure and
prepare / record notices, ``regulator.open_channel`` to open a channel or put a change into effect."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qaryz.access.decorators import staff_required
from qaryz.core.middleware import error_response
from qaryz.messaging import selectors as mail_selectors
from qaryz.regulator import forms, selectors, services
from qaryz.regulator.models import Channel, Notice, Service

VIEW = "regulator.view_channel"
MANAGE = "regulator.manage_channel"
OPEN = "regulator.open_channel"


@staff_required(VIEW)
def channel_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "regulator/channels.html",
        {"rows": selectors.channel_rows(), "days": services.notice_days(), "today": timezone.localdate()},
    )


@staff_required(MANAGE)
def channel_edit(request: HttpRequest, channel_id: int | None = None) -> HttpResponse:
    channel = None
    if channel_id is not None:
        channel = Channel.objects.filter(pk=channel_id).first()
        if channel is None:
            return error_response(request, 404)
    initial = {"services": list(channel.services.values_list("service", flat=True))} if channel else None
    form = forms.ChannelForm(request.POST or None, instance=channel, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_channel(
                form.save(commit=False), form.cleaned_data["services"], actor=request.user
            )
        except services.RegulatorError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The channel is saved. Prepare the notice to the authority for it."))
            return redirect("regulator:channel", saved.pk)
    return render(request, "regulator/channel_form.html", {"form": form, "channel": channel})


def _detail(request: HttpRequest, channel: Channel, status: int = 200, **bound) -> HttpResponse:
    today = timezone.localdate()
    notices = list(channel.notices.all())
    latest = notices[0] if notices else None
    pending = latest if latest is not None and latest.in_effect_at is None else None
    attempts = mail_selectors.attempts_by_reference([services.mail_reference(n) for n in notices])
    context = {
        "channel": channel,
        "services": [Service(code).label for code in channel.services.values_list("service", flat=True)],
        "in_effect": [Service(code).label for code in selectors.services_in_effect(channel)],
        "notices": [
            {
                "notice": n,
                "services": [Service(code).label for code in n.services if code in Service.values],
                "earliest": services.earliest_effect(n),
                "attempts": attempts.get(services.mail_reference(n), []),
                "late": n.sent_on is None and n.in_effect_at is None and n.send_by < today,
            }
            for n in notices
        ],
        "pending": pending,
        "blocked": services.blocking_reason(channel, pending, today) if pending else None,
        "changed": latest is not None
        and latest.fingerprint != services.fingerprint(services.configuration(channel)),
        "prepare_form": bound.get("prepare_form") or forms.PrepareForm(),
        "sent_form": bound.get("sent_form") or forms.SentForm(initial={"sent_on": today}),
        "mail_form": bound.get("mail_form") or forms.MailForm(initial={"to": settings.AUTHORITY_EMAIL}),
        "can_manage": request.user.has_perm(MANAGE),
        "can_open": request.user.has_perm(OPEN),
        "days": services.notice_days(),
    }
    return render(request, "regulator/channel.html", context, status=status)


@staff_required(VIEW)
def channel_detail(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        return error_response(request, 404)
    return _detail(request, channel)


@require_POST
@staff_required(MANAGE)
def prepare(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        return error_response(request, 404)
    form = forms.PrepareForm(request.POST)
    if form.is_valid():
        try:
            notice, created = services.prepare_notice(
                channel, effective_on=form.cleaned_data["effective_on"], actor=request.user
            )
        except services.RegulatorError as exc:
            form.add_error("effective_on" if exc.field == "effective_on" else None, exc.message)
        else:
            if created:
                messages.success(
                    request,
                    _("Notice %(number)s prepared: send it to the authority by %(date)s.")
                    % {"number": notice.number, "date": f"{notice.send_by:%d.%m.%Y}"},
                )
            else:
                messages.info(request, _("The configuration has not changed: the existing notice stands."))
            return redirect("regulator:channel", channel.pk)
    return _detail(request, channel, status=400, prepare_form=form)


def _notice(channel_id: int, notice_id: int) -> Notice | None:
    return Notice.objects.filter(pk=notice_id, channel_id=channel_id).select_related("channel").first()


@require_POST
@staff_required(MANAGE)
def sent(request: HttpRequest, channel_id: int, notice_id: int) -> HttpResponse:
    notice = _notice(channel_id, notice_id)
    if notice is None:
        return error_response(request, 404)
    form = forms.SentForm(request.POST)
    if form.is_valid():
        try:
            services.mark_sent(
                notice,
                sent_on=form.cleaned_data["sent_on"],
                reference=form.cleaned_data["reference"],
                actor=request.user,
            )
        except services.RegulatorError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The notice is recorded as sent."))
            return redirect("regulator:channel", channel_id)
    return _detail(request, notice.channel, status=400, sent_form=form)


@require_POST
@staff_required(MANAGE)
def mail(request: HttpRequest, channel_id: int, notice_id: int) -> HttpResponse:
    notice = _notice(channel_id, notice_id)
    if notice is None:
        return error_response(request, 404)
    form = forms.MailForm(request.POST)
    if form.is_valid():
        try:
            notice, delivery = services.send_notice(notice, to=form.cleaned_data["to"], actor=request.user)
        except services.RegulatorError as exc:
            form.add_error("to" if exc.field == "to" else None, exc.message)
        else:
            if notice.sent_on is not None:
                messages.success(
                    request,
                    _("The notice is sent to %(to)s (message id %(id)s).")
                    % {"to": delivery.to, "id": delivery.message_id},
                )
                return redirect("regulator:channel", channel_id)
            form.add_error(
                None,
                _("The mail server did not accept the notice (%(error)s): check the address and send again.")
                % {"error": delivery.error},
            )
    return _detail(request, notice.channel, status=400, mail_form=form)


@require_POST
@staff_required(OPEN)
def open_channel(request: HttpRequest, channel_id: int, notice_id: int) -> HttpResponse:
    notice = _notice(channel_id, notice_id)
    if notice is None:
        return error_response(request, 404)
    try:
        services.put_into_effect(notice, actor=request.user)
    except services.RegulatorError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Done: the channel works with the notified services."))
    return redirect("regulator:channel", channel_id)


@require_POST
@staff_required(OPEN)
def close(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = Channel.objects.filter(pk=channel_id).first()
    if channel is None:
        return error_response(request, 404)
    services.close_channel(channel, actor=request.user)
    messages.success(request, _("The channel is closed to clients."))
    return redirect("regulator:channel", channel_id)
