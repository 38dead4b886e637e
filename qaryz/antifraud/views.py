"""Back-office pages of the antifraud room (thin: the rules are in ``services``). Permissions:
``antifraud.view_alerts`` to read; ``edit_ruleset`` / ``approve_ruleset`` for the rule versions
(the approver is never the maker), ``decide_hold`` to release or decline a held operation,
``manage_case`` for alerts and cases."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qaryz.access.decorators import staff_required
from qaryz.antifraud import selectors, services
from qaryz.antifraud.forms import AssignForm, CloseCaseForm, ReasonForm, RuleForm, ThresholdsForm
from qaryz.antifraud.models import Alert, Hold, Rule
from qaryz.core.middleware import error_response
from qaryz.records.services import record_event as audit

VIEW = "antifraud.view_alerts"
EDIT = "antifraud.edit_ruleset"
APPROVE = "antifraud.approve_ruleset"
DECIDE = "antifraud.decide_hold"
MANAGE = "antifraud.manage_case"


# --- alerts and holds ------------------------------------------------------------------------------
@staff_required(VIEW)
def alert_list(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    show = show if show in ("open", "holds", "all") else "open"
    rows = list(selectors.alerts(show)[:200])
    audit(
        "staff.viewed_antifraud_alerts",
        category="security",
        actor=request.user,
        request=request,
        data={"show": show},
    )
    return render(
        request, "antifraud/alerts.html", {"rows": rows, "show": show, "counts": selectors.counts()}
    )


@staff_required(VIEW)
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    found = selectors.alert(alert_id)
    if found is None:
        return error_response(request, 404)
    audit(
        "staff.viewed_antifraud_alert",
        category="security",
        actor=request.user,
        target=found.event,
        request=request,
    )
    hold = Hold.objects.filter(alert=found).select_related("decided_by").first()
    return render(
        request,
        "antifraud/alert.html",
        {
            "alert": found,
            "event": found.event,
            "hits": selectors.hits_of(found.event),
            "hold": hold,
            "reason_form": ReasonForm(),
            "masked": {
                "iin": selectors.masked(found.event.iin),
                "phone": selectors.masked(found.event.phone),
                "iban": selectors.masked(found.event.iban),
            },
        },
    )


def _hold(hold_id: int) -> Hold | None:
    return Hold.objects.filter(pk=hold_id).select_related("alert").first()


@require_POST
@staff_required(DECIDE)
def hold_release(request: HttpRequest, hold_id: int) -> HttpResponse:
    hold = _hold(hold_id)
    if hold is None:
        return error_response(request, 404)
    form = ReasonForm(request.POST)
    try:
        services.release_hold(hold, request.user, reason=form.data.get("reason", "")[:300])
        messages.success(request, _("Released: the client can repeat the operation now."))
    except services.AntifraudError as exc:
        messages.error(request, exc.message)
    return redirect("antifraud:alert", hold.alert_id)


@require_POST
@staff_required(DECIDE)
def hold_decline(request: HttpRequest, hold_id: int) -> HttpResponse:
    hold = _hold(hold_id)
    if hold is None:
        return error_response(request, 404)
    try:
        services.decline_hold(hold, request.user, reason=request.POST.get("reason", "")[:300])
        messages.success(request, _("Declined: the operation stays blocked."))
    except services.AntifraudError as exc:
        messages.error(request, exc.message)
    return redirect("antifraud:alert", hold.alert_id)


@require_POST
@staff_required(MANAGE)
def alert_dismiss(request: HttpRequest, alert_id: int) -> HttpResponse:
    found = Alert.objects.filter(pk=alert_id).first()
    if found is None:
        return error_response(request, 404)
    try:
        services.dismiss_alert(found, request.user)
        messages.success(request, _("The alert is dismissed."))
    except services.AntifraudError as exc:
        messages.error(request, exc.message)
    return redirect("antifraud:alert", found.pk)


@require_POST
@staff_required(MANAGE)
def alert_case(request: HttpRequest, alert_id: int) -> HttpResponse:
    found = Alert.objects.filter(pk=alert_id).first()
    if found is None:
        return error_response(request, 404)
    try:
        case = services.open_case([found], request.user, assign_to=request.user)
    except services.AntifraudError as exc:
        messages.error(request, exc.message)
        return redirect("antifraud:alert", found.pk)
    messages.success(request, _("Case %(number)s opened.") % {"number": case.number})
    return redirect("antifraud:case", case.pk)


# --- cases -----------------------------------------------------------------------------------------
@staff_required(VIEW)
def case_list(request: HttpRequest) -> HttpResponse:
    show = "all" if request.GET.get("show") == "all" else "open"
    return render(request, "antifraud/cases.html", {"rows": list(selectors.cases(show)[:200]), "show": show})


@staff_required(VIEW)
def case_detail(request: HttpRequest, case_id: int, **forms) -> HttpResponse:
    found = selectors.case(case_id)
    if found is None:
        return error_response(request, 404)
    audit(
        "staff.viewed_antifraud_case", category="security", actor=request.user, target=found, request=request
    )
    alerts = list(found.alerts.select_related("event").order_by("created_at"))
    return render(
        request,
        "antifraud/case.html",
        {
            "case": found,
            "alerts": [{"alert": a, "hits": selectors.hits_of(a.event)} for a in alerts],
            "assign_form": forms.get("assign_form")
            or AssignForm(officers=selectors.officers(), initial={"assignee": found.assigned_to_id}),
            "close_form": forms.get("close_form") or CloseCaseForm(),
            "reports": selectors.reports_of_case(found),
        },
        status=400 if forms else 200,
    )


@require_POST
@staff_required(MANAGE)
def case_assign(request: HttpRequest, case_id: int) -> HttpResponse:
    found = selectors.case(case_id)
    if found is None:
        return error_response(request, 404)
    officers = selectors.officers()
    form = AssignForm(request.POST, officers=officers)
    if form.is_valid():
        assignee = next((u for u in officers if str(u.pk) == form.cleaned_data["assignee"]), None)
        try:
            services.assign_case(found, assignee, request.user)
            messages.success(request, _("The case is assigned."))
            return redirect("antifraud:case", found.pk)
        except services.AntifraudError as exc:
            form.add_error(None, exc.message)
    return case_detail(request, case_id, assign_form=form)


@require_POST
@staff_required(MANAGE)
def case_close(request: HttpRequest, case_id: int) -> HttpResponse:
    found = selectors.case(case_id)
    if found is None:
        return error_response(request, 404)
    form = CloseCaseForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.close_case(
                found,
                request.user,
                outcome=data["outcome"],
                loss=int((data["loss"] or Decimal(0)) * 100),
                findings=data["findings"],
            )
            messages.success(request, _("The case is closed."))
            return redirect("antifraud:case", found.pk)
        except services.AntifraudError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    return case_detail(request, case_id, close_form=form)


# --- rule-set versions -----------------------------------------------------------------------------
@staff_required(VIEW)
def ruleset_list(request: HttpRequest) -> HttpResponse:
    return render(request, "antifraud/rulesets.html", {"rows": list(selectors.rulesets())})


@staff_required(VIEW)
def ruleset_detail(request: HttpRequest, ruleset_id: int, **forms) -> HttpResponse:
    rs = selectors.ruleset(ruleset_id)
    if rs is None:
        return error_response(request, 404)
    is_maker = request.user.pk in services.makers(rs)
    return render(
        request,
        "antifraud/ruleset.html",
        {
            "rs": rs,
            "rules": selectors.rule_rows(rs),
            "kind_help": selectors.kind_help(),
            "rule_form": forms.get("rule_form") or RuleForm(),
            "thresholds_form": forms.get("thresholds_form")
            or ThresholdsForm(
                initial={
                    "review_score": rs.review_score,
                    "hold_score": rs.hold_score,
                    "decline_score": rs.decline_score,
                }
            ),
            "reason_form": ReasonForm(),
            "can_edit": rs.status == "draft" and request.user.has_perm(EDIT),
            "can_approve": rs.status == "pending" and request.user.has_perm(APPROVE) and not is_maker,
            "is_maker": is_maker,
        },
        status=400 if forms else 200,
    )


@require_POST
@staff_required(EDIT)
def ruleset_new(request: HttpRequest) -> HttpResponse:
    source = (
        selectors.ruleset(int(request.POST.get("copy_from") or 0))
        if request.POST.get("copy_from", "").isdigit()
        else None
    )
    draft = services.new_draft(request.user, copy_from=source, note=request.POST.get("note", ""))
    messages.success(request, _("Draft version %(version)s created.") % {"version": draft.version})
    return redirect("antifraud:ruleset", draft.pk)


@require_POST
@staff_required(EDIT)
def rule_add(request: HttpRequest, ruleset_id: int) -> HttpResponse:
    rs = selectors.ruleset(ruleset_id)
    if rs is None:
        return error_response(request, 404)
    form = RuleForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.add_rule(
                rs,
                request.user,
                code=data["code"],
                title=data["title"],
                kind=data["kind"],
                outcome=data["outcome"],
                weight=data["weight"] or 0,
                params=form.params(),
                event_kinds=data["event_kinds"],
            )
            messages.success(request, _("The rule is added to the draft."))
            return redirect("antifraud:ruleset", rs.pk)
        except services.AntifraudError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    return ruleset_detail(request, ruleset_id, rule_form=form)


@require_POST
@staff_required(EDIT)
def rule_remove(request: HttpRequest, ruleset_id: int, rule_id: int) -> HttpResponse:
    rule = Rule.objects.filter(pk=rule_id, ruleset_id=ruleset_id).select_related("ruleset").first()
    if rule is None:
        return error_response(request, 404)
    try:
        services.remove_rule(rule, request.user)
        messages.success(request, _("The rule is removed from the draft."))
    except services.AntifraudError as exc:
        messages.error(request, exc.message)
    return redirect("antifraud:ruleset", ruleset_id)


@require_POST
@staff_required(EDIT)
def ruleset_thresholds(request: HttpRequest, ruleset_id: int) -> HttpResponse:
    rs = selectors.ruleset(ruleset_id)
    if rs is None:
        return error_response(request, 404)
    form = ThresholdsForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.set_thresholds(
                rs, request.user, review=d["review_score"], hold=d["hold_score"], decline=d["decline_score"]
            )
            messages.success(request, _("The score thresholds are saved."))
            return redirect("antifraud:ruleset", rs.pk)
        except services.AntifraudError as exc:
            form.add_error(None, exc.message)
    return ruleset_detail(request, ruleset_id, thresholds_form=form)


def _step(request: HttpRequest, ruleset_id: int, call, done: str) -> HttpResponse:  # type: ignore[no-untyped-def]
    rs = selectors.ruleset(ruleset_id)
    if rs is None:
        return error_response(request, 404)
    try:
        call(rs)
        messages.success(request, done)
    except services.AntifraudError as exc:
        messages.error(request, exc.message)
    return redirect("antifraud:ruleset", rs.pk)


@require_POST
@staff_required(EDIT)
def ruleset_submit(request: HttpRequest, ruleset_id: int) -> HttpResponse:
    return _step(
        request,
        ruleset_id,
        lambda rs: services.submit(rs, request.user),
        _("Submitted: a second security officer must approve the version."),
    )


@require_POST
@staff_required(APPROVE)
def ruleset_approve(request: HttpRequest, ruleset_id: int) -> HttpResponse:
    return _step(
        request,
        ruleset_id,
        lambda rs: services.approve(rs, request.user),
        _("Approved: the version is active now."),
    )


@require_POST
@staff_required(APPROVE)
def ruleset_send_back(request: HttpRequest, ruleset_id: int) -> HttpResponse:
    return _step(
        request,
        ruleset_id,
        lambda rs: services.send_back(rs, request.user, reason=request.POST.get("reason", "")),
        _("Sent back to the draft."),
    )
