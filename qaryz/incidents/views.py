"""Back-office pages of the incident register (R-INC-1): the dashboard of what is due and overdue
with the register, the registration form and the incident card with its notices and recovery.
Permissions: ``incidents.view_incident`` to read, ``incidents.manage_incident`` to act."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qaryz.access.decorators import staff_required
from qaryz.core.middleware import error_response
from qaryz.incidents import forms, selectors, services
from qaryz.incidents.models import Incident, Notice, RecoveryStep
from qaryz.messaging import selectors as mail_selectors
from qaryz.records.services import record_event as audit

VIEW = "incidents.view_incident"
MANAGE = "incidents.manage_incident"
FILTERS = ("open", "closed", "all", *Incident.Kind.values)


@staff_required(VIEW)
def incident_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    show = show if show in FILTERS else "open"
    today = timezone.localdate()
    context = {
        "dashboard": selectors.dashboard(today),
        "rows": list(selectors.register(show)),
        "show": show,
        "kinds": Incident.Kind.choices,
        "today": today,
    }
    return render(request, "incidents/list.html", context)


@staff_required(MANAGE)
def register(request: HttpRequest) -> HttpResponse:
    form = forms.IncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.register_incident(
                kind=form.cleaned_data["kind"],
                summary=form.cleaned_data["summary"],
                asset=form.cleaned_data["asset"],
                actor=request.user,
            )
        except services.IncidentError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _(
                    "Incident %(number)s registered: measures by %(measures)s, the authority informed by %(inform)s."
                )
                % {
                    "number": incident.number,
                    "measures": f"{incident.measures_due:%d.%m.%Y}",
                    "inform": f"{incident.inform_due:%d.%m.%Y}",
                },
            )
            return redirect("incidents:incident", incident.pk)
    return render(request, "incidents/register.html", {"form": form})


def _notices(incident: Incident) -> list[Notice]:
    """The incident's notices, each with its e-mail attempts and the form to send it."""
    notices = list(incident.notices.all())
    attempts = mail_selectors.attempts_by_reference([services.mail_reference(n) for n in notices])
    for n in notices:
        n.attempts = attempts.get(services.mail_reference(n), [])  # type: ignore[attr-defined]
        default = settings.AUTHORITY_EMAIL if n.recipient_kind == Notice.Recipient.AUTHORITY else ""
        n.mail_form = forms.MailForm(initial={"to": default}, auto_id=f"id_n{n.pk}_%s")  # type: ignore[attr-defined]
    return notices


def _detail(request: HttpRequest, incident: Incident, status: int = 200, **bound: Any) -> HttpResponse:
    from qaryz.messaging.models import Letter

    context = {
        "incident": incident,
        "tasks": selectors.tasks(incident),
        "affected": list(incident.affected.select_related("client")),
        "notices": _notices(incident),
        "steps": list(incident.steps.all()),
        "letters": {
            letter.pk: letter
            for letter in Letter.objects.filter(reference=f"incidents.incident:{incident.pk}")
        },
        "can_manage": request.user.has_perm(MANAGE) and incident.status == Incident.Status.OPEN,
        "measures_form": bound.get("measures_form")
        or forms.MeasuresForm(initial={"measures": incident.measures}),
        "affected_form": bound.get("affected_form") or forms.AffectedForm(),
        "notice_form": bound.get("notice_form") or forms.NoticeForm(),
        "sent_form": forms.SentForm(),
        "step_form": bound.get("step_form") or forms.StepForm(),
        "step_done_form": forms.StepDoneForm(),
        "confirm_form": bound.get("confirm_form") or forms.ConfirmForm(),
    }
    return render(request, "incidents/incident.html", context, status=status)


@staff_required(VIEW)
def incident_detail(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = selectors.incident_for_staff(incident_id)
    if incident is None:
        return error_response(request, 404)
    audit("staff.viewed_incident", category="security", actor=request.user, target=incident, request=request)
    return _detail(request, incident)


def _action(
    form_class: type[django_forms.Form] | None,
    name: str,
    run: Callable[[HttpRequest, Incident, dict[str, Any]], str],
) -> Callable[..., HttpResponse]:
    """A POST action on an incident: validate the form, run the service, report, redirect."""

    @require_POST
    @staff_required(MANAGE)
    def view(request: HttpRequest, incident_id: int, **kwargs: Any) -> HttpResponse:
        incident = selectors.incident_for_staff(incident_id)
        if incident is None:
            return error_response(request, 404)
        form = form_class(request.POST) if form_class else None
        if form is not None and not form.is_valid():
            if not name:  # a small per-row form: say what is missing and go back
                messages.error(request, _("Fill in every field of the form."))
                return redirect("incidents:incident", incident.pk)
            return _detail(request, incident, status=400, **{name: form})
        try:
            message = run(request, incident, {**(form.cleaned_data if form else {}), **kwargs})
        except services.IncidentError as exc:
            if form is None or not name:  # a per-row form: the message above the card
                messages.error(request, exc.message)
                return redirect("incidents:incident", incident.pk)
            form.add_error(None, exc.message)
            return _detail(request, incident, status=400, **{name: form})
        messages.success(request, message)
        return redirect("incidents:incident", incident.pk)

    return view


def _measures(request, incident, data):
    services.record_measures(incident, data["measures"], actor=request.user)
    return _("The measures are recorded.")


def _affected(request, incident, data):
    from qaryz.clients.models import Client

    client = Client.objects.filter(iin=data["iin"]).first()
    if client is None:
        raise services.IncidentError(_("No client with this IIN."))
    services.add_affected_client(incident, client, actor=request.user)
    return _("The client is added to the incident.")


def _inform(request, incident, data):
    count = services.inform_clients(incident, actor=request.user)
    if not count:
        raise services.IncidentError(_("Every affected client has been informed already."))
    return _("Letters sent to the clients: %(count)s.") % {"count": count}


def _notice(request, incident, data):
    services.prepare_notice(
        incident,
        recipient_kind=data["recipient_kind"],
        recipient_name=data["recipient_name"],
        language=data["language"],
        actor=request.user,
    )
    return _("The notice is prepared: send it and record the outgoing number.")


def _sent(request, incident, data):
    notice = Notice.objects.filter(pk=data["notice_id"], incident=incident).first()
    if notice is None:
        raise services.IncidentError(_("No such notice."))
    services.mark_notice_sent(notice, reference=data["reference"], actor=request.user)
    return _("The notice is marked as sent.")


def _mail(request, incident, data):
    notice = Notice.objects.filter(pk=data["notice_id"], incident=incident).first()
    if notice is None:
        raise services.IncidentError(_("No such notice."))
    notice, delivery = services.send_notice(notice, to=data["to"], actor=request.user)
    if notice.sent_at is None:
        raise services.IncidentError(
            _("The mail server did not accept the notice (%(error)s): check the address and send again.")
            % {"error": delivery.error}
        )
    return _("The notice is sent to %(to)s (message id %(id)s).") % {
        "to": delivery.to,
        "id": delivery.message_id,
    }


def _step(request, incident, data):
    services.add_step(incident, kind=data["kind"], description=data["description"], actor=request.user)
    return _("The recovery step is added.")


def _step_done(request, incident, data):
    step = RecoveryStep.objects.filter(pk=data["step_id"], incident=incident).first()
    if step is None:
        raise services.IncidentError(_("No such step."))
    services.complete_step(step, result=data["result"], actor=request.user)
    return _("The step is done.")


def _confirm(request, incident, data):
    services.confirm_normal_state(incident, evidence=data["evidence"], actor=request.user)
    return _("The normal state is confirmed.")


def _close(request, incident, data):
    services.close_incident(incident, actor=request.user)
    return _("The incident is closed.")


record_measures = _action(forms.MeasuresForm, "measures_form", _measures)
add_affected = _action(forms.AffectedForm, "affected_form", _affected)
inform_clients = _action(None, "", _inform)
prepare_notice = _action(forms.NoticeForm, "notice_form", _notice)
notice_sent = _action(forms.SentForm, "", _sent)
notice_mail = _action(forms.MailForm, "", _mail)
add_step = _action(forms.StepForm, "step_form", _step)
step_done = _action(forms.StepDoneForm, "", _step_done)
confirm_normal = _action(forms.ConfirmForm, "confirm_form", _confirm)
close = _action(None, "", _close)
