"""Reads of the antifraud room for its pages and for other rooms (the workbench queues)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet

from qaryz.antifraud import kinds
from qaryz.antifraud.models import Alert, Case, Event, Hold, Report, RuleSet


def masked(value: str) -> str:
    """The last four characters only (IIN, phone, IBAN on the antifraud pages)."""
    value = value or ""
    return "•••• " + value[-4:] if len(value) > 4 else value


def alerts(show: str) -> QuerySet[Alert]:
    rows = Alert.objects.select_related("event", "event__client", "hold", "case")
    if show == "holds":
        return rows.filter(hold__status=Hold.Status.PENDING)
    if show == "open":
        return rows.filter(status=Alert.Status.OPEN)
    return rows


def counts() -> dict[str, int]:
    return Alert.objects.aggregate(
        open=Count("pk", filter=Q(status=Alert.Status.OPEN)),
        holds=Count("pk", filter=Q(hold__status=Hold.Status.PENDING)),
    )


def pending_holds() -> QuerySet[Hold]:
    """For the workbench queue: operations suspended until a security officer decides."""
    return Hold.objects.filter(status=Hold.Status.PENDING).select_related("alert__event", "client")


def alert(alert_id: int) -> Alert | None:
    return (
        Alert.objects.select_related("event", "event__client", "event__ruleset", "case")
        .filter(pk=alert_id)
        .first()
    )


def hits_of(event: Event) -> list[dict[str, Any]]:
    out = []
    for h in event.hits.select_related("rule"):
        out.append(
            {
                "rule": h.rule,
                "kind": kinds.KINDS[h.rule.kind].label,
                "outcome": kinds.OUTCOMES[h.rule.outcome],
                "detail": describe(h.detail),
            }
        )
    return out


def describe(detail: dict) -> str:
    """A hit's detail in words (translated), never raw keys."""
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    parts = []
    if "count" in detail:
        n = detail["count"]
        parts.append(ngettext("%(n)s event in the window", "%(n)s events in the window", n) % {"n": n})
    if "clients" in detail:
        n = detail["clients"]
        parts.append(ngettext("%(n)s client", "%(n)s clients", n) % {"n": n})
    if "phone_changes" in detail:
        n = detail["phone_changes"]
        parts.append(
            ngettext("phone changed %(n)s time in the window", "phone changed %(n)s times in the window", n)
            % {"n": n}
        )
    if "km" in detail:
        parts.append(_("%(km)s km from the usual place") % {"km": detail["km"]})
    if "country" in detail:
        parts.append(_("country %(code)s") % {"code": detail["country"]})
    if "flags" in detail:
        parts.append(_("signals: %(flags)s") % {"flags": ", ".join(detail["flags"])})
    if "fields" in detail:
        parts.append(_("fields: %(fields)s") % {"fields": ", ".join(detail["fields"])})
    if detail.get("flagged"):
        parts.append(_("data flagged as leaked"))
    return "; ".join(parts)


def rulesets() -> QuerySet[RuleSet]:
    return RuleSet.objects.select_related("created_by", "submitted_by", "approved_by").annotate(
        n=Count("rules")
    )


def ruleset(ruleset_id: int) -> RuleSet | None:
    return (
        RuleSet.objects.select_related("created_by", "submitted_by", "approved_by")
        .filter(pk=ruleset_id)
        .first()
    )


def rule_rows(rs: RuleSet) -> list[dict[str, Any]]:
    rows = []
    for r in rs.rules.select_related("added_by"):
        spec = kinds.KINDS[r.kind]
        params = []
        for p in spec.params:
            value = r.params.get(p.name)
            shown = ", ".join(value) if isinstance(value, list) else value
            params.append(f"{p.label}: {shown if shown not in ('', None) else '—'}")
        rows.append(
            {
                "rule": r,
                "kind": spec.label,
                "outcome": kinds.OUTCOMES[r.outcome],
                "events": ", ".join(str(kinds.EVENT_KINDS[e]) for e in (r.event_kinds or spec.only_for))
                or None,
                "params": params,
            }
        )
    return rows


def kind_help() -> list[dict[str, Any]]:
    return [{"label": k.label, "params": [p.label for p in k.params]} for k in kinds.KINDS.values()]


def cases(show: str) -> QuerySet[Case]:
    rows = Case.objects.select_related("client", "assigned_to").annotate(n=Count("alerts"))
    return rows.exclude(status=Case.Status.CLOSED) if show == "open" else rows


def case(case_id: int) -> Case | None:
    return Case.objects.select_related("client", "assigned_to", "opened_by").filter(pk=case_id).first()


def officers() -> list[Any]:
    User = get_user_model()
    perm = Q(
        groups__permissions__codename="manage_case", groups__permissions__content_type__app_label="antifraud"
    )
    return list(
        User.objects.filter(perm | Q(is_superuser=True), is_active=True).distinct().order_by("username")
    )


def reports_of_case(c: Case) -> list[Report]:
    return list(Report.objects.filter(key=f"fraud-{c.pk}"))
