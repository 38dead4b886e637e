"""The only writes of the antifraud room (R-AF-1): rule-set versions with maker-checker, the
evaluation of events (``evaluate``) and its guard for the hooked operations (``guard``), holds,
alerts, cases and the NBRK antifraud-centre outbox."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qaryz.antifraud import engine, kinds
from qaryz.antifraud.models import Alert, Case, Event, Hit, Hold, Report, Rule, RuleSet
from qaryz.antifraud.ports import AntifraudCentre, CentreError, CentreMessage
from qaryz.records.services import record_event as audit

logger = logging.getLogger("qaryz.antifraud")

HELD_MESSAGE = gettext_lazy(
    "Your request is being checked by the security service. You can continue once the check is "
    "finished; this usually takes no more than one working day."
)
DECLINED_MESSAGE = gettext_lazy(
    "The operation cannot be completed. Please contact the MFO's support service."
)


class AntifraudError(Exception):
    """A staff action that is not possible; ``message`` is translated."""

    def __init__(self, message: object, field: str = "") -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.field = field


class Refused(Exception):
    """The hooked operation must not go on: held (until a decision) or declined. ``message`` is
    safe to show to the client (it names no rule)."""

    def __init__(self, outcome: str, hold: Hold | None = None) -> None:
        self.outcome = outcome
        self.hold = hold
        self.message = str(HELD_MESSAGE if outcome == kinds.HOLD else DECLINED_MESSAGE)
        super().__init__(self.message)


@dataclass
class Decision:
    outcome: str
    score: int = 0
    hits: list[str] = field(default_factory=list)  # rule codes
    event_id: int | None = None
    alert_id: int | None = None
    hold_id: int | None = None
    released: bool = False  # a released hold let this operation through


# --- rule-set versions -----------------------------------------------------------------------------
def _next_version() -> int:
    return (RuleSet.objects.aggregate(v=Max("version"))["v"] or 0) + 1


@transaction.atomic
def new_draft(actor: Any, *, copy_from: RuleSet | None = None, note: str = "") -> RuleSet:
    """A new draft version, empty or a copy of ``copy_from`` (its rules then count as the actor's)."""
    for _attempt in range(3):
        try:
            with transaction.atomic():
                draft = RuleSet.objects.create(version=_next_version(), created_by=actor, note=note[:300])
            break
        except IntegrityError:
            continue
    else:
        raise AntifraudError(_("Try again: another version was created at the same time."))
    if copy_from is not None:
        draft.review_score = copy_from.review_score
        draft.hold_score = copy_from.hold_score
        draft.decline_score = copy_from.decline_score
        draft.save(update_fields=["review_score", "hold_score", "decline_score"])
        Rule.objects.bulk_create(
            Rule(
                ruleset=draft,
                code=r.code,
                title=r.title,
                kind=r.kind,
                event_kinds=r.event_kinds,
                params=r.params,
                weight=r.weight,
                outcome=r.outcome,
                added_by=actor,
            )
            for r in copy_from.rules.all()
        )
    audit(
        "antifraud.ruleset_drafted",
        category="security",
        actor=actor,
        target=draft,
        data={"version": draft.version, "copy_of": copy_from.version if copy_from else None},
    )
    return draft


def _draft_locked(ruleset: RuleSet) -> RuleSet:
    locked = RuleSet.objects.select_for_update().get(pk=ruleset.pk)
    if locked.status != RuleSet.Status.DRAFT:
        raise AntifraudError(_("Only a draft can be changed; make a new draft from this version."))
    return locked


@transaction.atomic
def add_rule(
    ruleset: RuleSet,
    actor: Any,
    *,
    code: str,
    kind: str,
    outcome: str,
    weight: int = 0,
    params: dict | None = None,
    event_kinds: list[str] | None = None,
    title: str = "",
) -> Rule:
    locked = _draft_locked(ruleset)
    event_kinds = list(event_kinds or [])
    try:
        clean = kinds.clean_rule(kind, params or {}, outcome, event_kinds, weight)
    except kinds.RuleError as exc:
        raise AntifraudError(exc.message, exc.field) from None
    code = (code or "").strip().lower()
    if not code:
        raise AntifraudError(_("Give the rule a short code."), "code")
    if locked.rules.filter(code=code).exists():
        raise AntifraudError(_("This version already has a rule with this code."), "code")
    rule = Rule.objects.create(
        ruleset=locked,
        code=code,
        title=title[:120],
        kind=kind,
        event_kinds=event_kinds,
        params=clean,
        weight=weight,
        outcome=outcome,
        added_by=actor,
    )
    audit(
        "antifraud.rule_added",
        category="security",
        actor=actor,
        target=locked,
        data={"code": code, "kind": kind, "params": clean, "weight": weight, "outcome": outcome},
    )
    return rule


@transaction.atomic
def remove_rule(rule: Rule, actor: Any) -> None:
    locked = _draft_locked(rule.ruleset)
    Rule.objects.filter(pk=rule.pk, ruleset=locked).delete()
    audit("antifraud.rule_removed", category="security", actor=actor, target=locked, data={"code": rule.code})


@transaction.atomic
def set_thresholds(ruleset: RuleSet, actor: Any, *, review: int, hold: int, decline: int) -> RuleSet:
    locked = _draft_locked(ruleset)
    if not (1 <= review <= hold <= decline):
        raise AntifraudError(
            _("The scores must grow: review ≤ hold ≤ decline, each at least 1."), "review_score"
        )
    locked.review_score, locked.hold_score, locked.decline_score = review, hold, decline
    locked.save(update_fields=["review_score", "hold_score", "decline_score"])
    audit(
        "antifraud.thresholds_set",
        category="security",
        actor=actor,
        target=locked,
        data={"review": review, "hold": hold, "decline": decline},
    )
    return locked


@transaction.atomic
def submit(ruleset: RuleSet, actor: Any) -> RuleSet:
    locked = _draft_locked(ruleset)
    if not locked.rules.exists():
        raise AntifraudError(_("Add at least one rule before submitting."))
    locked.status = RuleSet.Status.PENDING
    locked.submitted_by = actor
    locked.submitted_at = timezone.now()
    locked.save(update_fields=["status", "submitted_by", "submitted_at"])
    audit("antifraud.ruleset_submitted", category="security", actor=actor, target=locked)
    return locked


def makers(ruleset: RuleSet) -> set[int]:
    """Everyone who made this version: its creator, its submitter and the authors of its rules."""
    ids = set(ruleset.rules.values_list("added_by_id", flat=True))
    ids.add(ruleset.created_by_id)
    if ruleset.submitted_by_id:
        ids.add(ruleset.submitted_by_id)
    return ids


@transaction.atomic
def approve(ruleset: RuleSet, actor: Any) -> RuleSet:
    """The second person's approval: the version becomes active, the active one is retired."""
    locked = RuleSet.objects.select_for_update().get(pk=ruleset.pk)
    if locked.status != RuleSet.Status.PENDING:
        raise AntifraudError(_("Only a version awaiting approval can be approved."))
    if actor.pk in makers(locked):
        raise AntifraudError(_("A version is approved by a second person, not by one who made it."))
    now = timezone.now()
    for old in RuleSet.objects.select_for_update().filter(status=RuleSet.Status.ACTIVE):
        old.status, old.retired_at = RuleSet.Status.RETIRED, now
        old.save(update_fields=["status", "retired_at"])
    locked.status, locked.approved_by, locked.approved_at = RuleSet.Status.ACTIVE, actor, now
    locked.save(update_fields=["status", "approved_by", "approved_at"])
    transaction.on_commit(engine.forget_active)
    engine.forget_active()
    audit("antifraud.ruleset_activated", category="security", actor=actor, target=locked)
    return locked


@transaction.atomic
def send_back(ruleset: RuleSet, actor: Any, *, reason: str) -> RuleSet:
    """The checker returns a version to its draft state with a reason."""
    locked = RuleSet.objects.select_for_update().get(pk=ruleset.pk)
    if locked.status != RuleSet.Status.PENDING:
        raise AntifraudError(_("Only a version awaiting approval can be sent back."))
    if actor.pk in makers(locked):
        raise AntifraudError(_("A version is checked by a second person, not by one who made it."))
    if not reason.strip():
        raise AntifraudError(_("Say what must be corrected."), "reason")
    locked.status, locked.submitted_by, locked.submitted_at = RuleSet.Status.DRAFT, None, None
    locked.save(update_fields=["status", "submitted_by", "submitted_at"])
    audit(
        "antifraud.ruleset_sent_back",
        category="security",
        actor=actor,
        target=locked,
        data={"reason": reason[:300]},
    )
    return locked


# --- evaluation ------------------------------------------------------------------------------------
def _from_request() -> dict:
    from qaryz.records.context import current_request

    request = current_request()
    if request is None:
        return {}
    meta = request.META
    out: dict[str, Any] = {"ip": meta.get("REMOTE_ADDR") or "", "device_id": meta.get("HTTP_X_DEVICE_ID", "")}
    for header, name in (("HTTP_X_GEO_LAT", "lat"), ("HTTP_X_GEO_LON", "lon")):
        with contextlib.suppress(KeyError, ValueError):
            out[name] = float(meta[header])
    if meta.get("HTTP_X_GEO_COUNTRY"):
        out["country"] = meta["HTTP_X_GEO_COUNTRY"]
    return out


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if -180.0 <= number <= 180.0 else None


def _enriched(event_kind: str, client: Any, attributes: dict, applicable: set[str] | None = None) -> dict:
    """Attributes other rooms add to every event: ``settings.ANTIFRAUD_ENRICHERS`` lists dotted
    paths of ``f(event_kind, client, attributes) -> dict`` (e.g. the data-leak register setting
    ``data_leak_flagged``); the caller's own attributes win."""
    from django.utils.module_loading import import_string

    extra: dict = {}
    for path in getattr(settings, "ANTIFRAUD_ENRICHERS", ()):
        enricher = import_string(path)
        feeds = getattr(enricher, "kinds", None)  # rule kinds it feeds: skipped when none applies
        if feeds is not None and applicable is not None and not applicable.intersection(feeds):
            continue
        extra.update(enricher(event_kind, client, attributes) or {})
    return {**extra, **attributes}


def _context(event_kind: str, client: Any, attributes: dict, now: Any) -> engine.Context:
    attrs = {**_from_request(), **attributes}
    iin = (client.id_number if client is not None else "") or str(attrs.get("iin") or "")
    phone = (client.phone if client is not None else "") or str(attrs.get("phone") or "")
    if event_kind == "phone_change" and attrs.get("new_phone"):
        phone = str(attrs["new_phone"])
    lat, lon = _number(attrs.get("lat")), _number(attrs.get("lon"))
    if lat is None or lon is None or abs(lat) > 90:
        lat = lon = None
    country = str(attrs.get("country") or "").upper()[:2]
    return engine.Context(
        kind=event_kind,
        ts=int(now.timestamp()),
        client_id=client.pk if client is not None else None,
        iin=iin[:12],
        phone=phone[:16],
        device_id=str(attrs.get("device_id") or "")[:100],
        ip=str(attrs.get("ip") or "")[:45],
        iban=str(attrs.get("iban") or "").replace(" ", "").upper()[:34],
        lat=lat,
        lon=lon,
        country=country if country.isalpha() else "",
        attributes=attrs,
    )


def _same_face(client: Any) -> int:
    """How many other IINs are enrolled with this client's face (biometric 1:N index)."""
    from qaryz.biometrics.selectors import same_face_for_client
    from qaryz.clients.models import Client

    hits = same_face_for_client(client)
    if not hits:
        return 0
    others = Client.objects.filter(pk__in=[h.key for h in hits])
    return len({c.id_number for c in others if c.id_number and c.id_number != client.id_number})


def _stored_attributes(attrs: dict) -> dict:
    """What is kept of the caller's attributes: JSON scalars and short lists only."""
    out = {}
    for k, v in attrs.items():
        if isinstance(v, bool | int | float) or v is None:
            out[k] = v
        elif isinstance(v, str):
            out[k] = v[:200]
        elif isinstance(v, list | tuple):
            out[k] = [str(x)[:60] for x in v][:20]
    # flattened so the back-test filters them with plain key lookups on every database
    for flag in out.get("device_flags") or []:
        out[flag] = True
    for name in out.get("mismatched_fields") or []:
        out[f"mismatch_{name}"] = True
        out["mismatch_any"] = True
    return out


@dataclass
class Verdict:
    """What ``decide`` found for one event, before anything is stored."""

    ruleset: RuleSet | None
    ctx: engine.Context
    hits: list[engine.RuleHit]
    score: int
    outcome: str
    now: dt.datetime


def decide(
    event_kind: str, *, client: Any = None, attributes: dict | None = None, subject: str = ""
) -> Verdict:
    """The rule evaluation of one event against the active rule set – enrichers, the face index,
    the aggregate query, the rules, the score – storing nothing (``evaluate`` stores it)."""
    if event_kind not in kinds.EVENT_KINDS:
        raise ValueError(f"unknown antifraud event kind {event_kind!r}")
    now = timezone.now()
    ruleset = engine.active_ruleset()
    attributes = dict(attributes or {})
    rules = engine.rules_of(ruleset) if ruleset is not None else []
    if ruleset is not None:
        applicable = {r.kind for r in rules if kinds.applies(r.kind, r.event_kinds, event_kind)}
        attributes = _enriched(event_kind, client, {**attributes, "subject": subject}, applicable)
        attributes.pop("subject", None)
    ctx = _context(event_kind, client, attributes, now)
    same_face = None
    if client is not None and engine.needs_face(rules, event_kind):
        same_face = _same_face(client)
        ctx.attributes["same_face_clients"] = same_face  # kept so the back-test can replay the rule
    hits = engine.evaluate(rules, ctx, same_face=same_face)
    score = sum(h.rule.weight for h in hits)
    outcome = kinds.worst([h.rule.outcome for h in hits])
    if ruleset is not None and hits:
        by_score = (
            kinds.DECLINE
            if score >= ruleset.decline_score
            else kinds.HOLD
            if score >= ruleset.hold_score
            else kinds.REVIEW
            if score >= ruleset.review_score
            else kinds.APPROVE
        )
        outcome = kinds.worst([outcome, by_score])
    return Verdict(ruleset, ctx, hits, score, outcome, now)


def evaluate(
    event_kind: str, *, client: Any = None, attributes: dict | None = None, subject: str = ""
) -> Decision:
    """Evaluate one event against the active rule set (``decide``), store it with its hits (for
    the back-test) and, unless approved, an alert – and a hold when the decision is a hold."""
    verdict = decide(event_kind, client=client, attributes=attributes, subject=subject)
    ruleset, ctx, hits, score, outcome = (
        verdict.ruleset,
        verdict.ctx,
        verdict.hits,
        verdict.score,
        verdict.outcome,
    )
    event = Event(
        kind=event_kind,
        occurred_at=verdict.now,
        ts=ctx.ts,
        client_id=ctx.client_id,
        subject=subject[:80],
        iin=ctx.iin,
        phone=ctx.phone,
        device_id=ctx.device_id,
        ip=ctx.ip,
        iban=ctx.iban,
        lat=ctx.lat,
        lon=ctx.lon,
        country=ctx.country,
        attributes=_stored_attributes(ctx.attributes),
        ruleset=ruleset,
        score=score,
        outcome=outcome,
    )
    alerted = outcome != kinds.APPROVE
    if connection.vendor == "postgresql" and not alerted and not connection.in_atomic_block:
        _store(event, hits, alerted)  # one statement: atomic on its own
        return Decision(outcome, score, [h.rule.code for h in hits], event.pk)
    with transaction.atomic():
        alert_id = _store(event, hits, alerted)
        decision = Decision(outcome, score, [h.rule.code for h in hits], event.pk)
        if alerted:
            alert = Alert(pk=alert_id, event=event, outcome=outcome)
            decision.alert_id = alert.pk
            if outcome == kinds.HOLD:
                hold = Hold.objects.filter(
                    key=hold_key(event_kind, ctx, subject), status=Hold.Status.PENDING
                ).first()
                if hold is None:
                    hold = Hold.objects.create(
                        alert=alert,
                        client_id=ctx.client_id,
                        event_kind=event_kind,
                        subject=subject[:80],
                        key=hold_key(event_kind, ctx, subject),
                    )
                decision.hold_id = hold.pk
            if outcome in (kinds.HOLD, kinds.DECLINE):
                _queue_report(Report.Kind.ALERT, f"alert-{alert.pk}", alert_payload(event, decision))
            audit(
                "antifraud.alert",
                category="security",
                actor=client or "system",
                target=(Event._meta.label_lower, event.pk),
                data={"event": event_kind, "outcome": outcome, "rules": decision.hits, "score": score},
            )
    return decision


def _store(event: Event, hits: list[engine.RuleHit], alerted: bool) -> int | None:
    """Insert the event, its hits and (``alerted``) its open alert (no case: ``case_id`` NULL); sets
    ``event.pk`` and returns the alert's id. On PostgreSQL ONE prepared statement (data-modifying
    CTEs): the live evaluation's writes cost one round trip and no ORM query building; elsewhere
    the ORM."""
    if connection.vendor != "postgresql":
        event.save(force_insert=True)
        if hits:
            Hit.objects.bulk_create(Hit(event=event, rule=h.rule, detail=h.detail) for h in hits)
        return Alert.objects.create(event=event, outcome=event.outcome).pk if alerted else None
    columns = [f for f in Event._meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(event, add=True), connection) for f in columns]
    hit_field = Hit._meta.get_field("detail")
    details = [hit_field.get_db_prep_save(h.detail, connection) for h in hits]
    # table and column names are the models' own; every value is a parameter
    sql = (
        f"WITH e AS (INSERT INTO {Event._meta.db_table} ({', '.join(f.column for f in columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))}) RETURNING id), "
        f"h AS (INSERT INTO {Hit._meta.db_table} (event_id, rule_id, detail) "
        "SELECT e.id, x.rule_id, x.detail FROM e, unnest(%s::bigint[], %s::jsonb[]) WITH ORDINALITY "
        "AS x(rule_id, detail, n) ORDER BY x.n), "
        f"a AS (INSERT INTO {Alert._meta.db_table} (event_id, outcome, status, created_at) "
        "SELECT e.id, %s, %s, %s FROM e WHERE %s RETURNING id) "
        "SELECT e.id, (SELECT id FROM a) FROM e"
    )
    params = [
        *values,
        [h.rule.pk for h in hits],
        details,
        event.outcome,
        Alert.Status.OPEN,
        timezone.now(),
        alerted,
    ]
    event.pk, alert_id = engine.fetch_one(sql, params)  # prepared: the same text for every event
    event._state.adding = False
    event._state.db = connection.alias
    return alert_id


def hold_key(event_kind: str, ctx: engine.Context, subject: str) -> str:
    who = f"c{ctx.client_id}" if ctx.client_id is not None else f"i{ctx.iin or ctx.phone}"
    return f"{who}:{event_kind}:{subject}"[:120]


def guard(
    event_kind: str, *, client: Any = None, attributes: dict | None = None, subject: str = ""
) -> Decision:
    """For a hooked operation: a pending hold of the same operation refuses it, a released one lets
    it through once, a declined one (of a named operation) refuses it; otherwise ``evaluate`` and
    refuse on hold or decline. Raises ``Refused`` with a message safe to show to the client."""
    attributes = dict(attributes or {})
    ctx = _context(
        event_kind, client, {k: v for k, v in attributes.items() if k in ("iin", "phone")}, timezone.now()
    )
    key = hold_key(event_kind, ctx, subject)
    last = Hold.objects.filter(key=key).order_by("-created_at", "-id").first()
    if last is not None:
        if last.status == Hold.Status.PENDING:
            raise Refused(kinds.HOLD, last)
        if (
            last.status == Hold.Status.RELEASED
            and last.used_at is None
            and Hold.objects.filter(pk=last.pk, used_at__isnull=True).update(used_at=timezone.now())
        ):
            return Decision(kinds.APPROVE, event_id=last.alert.event_id, hold_id=last.pk, released=True)
        if last.status == Hold.Status.DECLINED and subject:
            raise Refused(kinds.DECLINE, last)
    decision = evaluate(event_kind, client=client, attributes=attributes, subject=subject)
    if decision.outcome in (kinds.HOLD, kinds.DECLINE):
        hold = Hold.objects.filter(pk=decision.hold_id).first() if decision.hold_id else None
        raise Refused(decision.outcome, hold)
    return decision


# --- holds -----------------------------------------------------------------------------------------
def _decide(hold: Hold, actor: Any, status: str, reason: str) -> Hold:
    with transaction.atomic():
        locked = Hold.objects.select_for_update().get(pk=hold.pk)
        if locked.status != Hold.Status.PENDING:
            raise AntifraudError(_("This hold has already been decided."))
        if status == Hold.Status.DECLINED and not reason.strip():
            raise AntifraudError(_("Give the reason for declining."), "reason")
        locked.status, locked.decided_by, locked.decided_at = status, actor, timezone.now()
        locked.reason = reason.strip()[:300]
        locked.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        audit(
            f"antifraud.hold_{status}",
            category="security",
            actor=actor,
            target=locked.alert.event,
            data={"hold": locked.pk, "operation": locked.event_kind, "reason": locked.reason},
        )
    return locked


def release_hold(hold: Hold, actor: Any, *, reason: str = "") -> Hold:
    return _decide(hold, actor, Hold.Status.RELEASED, reason)


def decline_hold(hold: Hold, actor: Any, *, reason: str) -> Hold:
    return _decide(hold, actor, Hold.Status.DECLINED, reason)


# --- alerts and cases ------------------------------------------------------------------------------
@transaction.atomic
def dismiss_alert(alert: Alert, actor: Any) -> Alert:
    locked = Alert.objects.select_for_update().get(pk=alert.pk)
    if locked.status != Alert.Status.OPEN:
        raise AntifraudError(_("Only an open alert can be dismissed."))
    if Hold.objects.filter(alert=locked, status=Hold.Status.PENDING).exists():
        raise AntifraudError(_("Release or decline the held operation first."))
    locked.status = Alert.Status.DISMISSED
    locked.save(update_fields=["status"])
    audit("antifraud.alert_dismissed", category="security", actor=actor, target=locked.event)
    return locked


def _case_number() -> str:
    year = timezone.localdate().year
    count = Case.objects.filter(number__startswith=f"AF-{year}-").count()
    return f"AF-{year}-{count + 1:05d}"


@transaction.atomic
def open_case(alerts: list[Alert], actor: Any, *, assign_to: Any = None) -> Case:
    locked = list(
        Alert.objects.select_for_update().filter(pk__in=[a.pk for a in alerts]).select_related("event")
    )
    if not locked:
        raise AntifraudError(_("Choose at least one alert."))
    if any(a.status == Alert.Status.IN_CASE for a in locked):
        raise AntifraudError(_("This alert is already in a case."))
    clients = {a.event.client_id for a in locked}
    case = None
    for _attempt in range(3):
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    number=_case_number(),
                    client_id=next(iter(clients)) if len(clients) == 1 else None,
                    opened_by=actor,
                    assigned_to=assign_to,
                    status=Case.Status.INVESTIGATING if assign_to else Case.Status.OPEN,
                )
            break
        except IntegrityError:
            continue
    if case is None:
        raise AntifraudError(_("Try again: another case was opened at the same time."))
    Alert.objects.filter(pk__in=[a.pk for a in locked]).update(status=Alert.Status.IN_CASE, case=case)
    audit(
        "antifraud.case_opened",
        category="security",
        actor=actor,
        target=case,
        data={"alerts": [a.pk for a in locked]},
    )
    return case


@transaction.atomic
def assign_case(case: Case, assignee: Any, actor: Any) -> Case:
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.status == Case.Status.CLOSED:
        raise AntifraudError(_("The case is closed."))
    if assignee is None or not assignee.has_perm("antifraud.manage_case"):
        raise AntifraudError(_("Assign the case to a security officer."), "assignee")
    locked.assigned_to, locked.status = assignee, Case.Status.INVESTIGATING
    locked.save(update_fields=["assigned_to", "status"])
    audit(
        "antifraud.case_assigned",
        category="security",
        actor=actor,
        target=locked,
        data={"to": assignee.username},
    )
    return locked


@transaction.atomic
def close_case(case: Case, actor: Any, *, outcome: str, loss: int = 0, findings: str = "") -> Case:
    """Close with the outcome (confirmed fraud / false positive) and the losses in tiyn; a confirmed
    fraud is reported to the NBRK antifraud centre."""
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.status == Case.Status.CLOSED:
        raise AntifraudError(_("The case is closed."))
    if outcome not in (Case.Outcome.CONFIRMED, Case.Outcome.FALSE_POSITIVE):
        raise AntifraudError(_("Choose the outcome of the case."), "outcome")
    if not isinstance(loss, int) or loss < 0:
        raise AntifraudError(_("The loss cannot be negative."), "loss")
    if outcome == Case.Outcome.FALSE_POSITIVE and loss:
        raise AntifraudError(_("A false positive has no losses."), "loss")
    if Hold.objects.filter(alert__case=locked, status=Hold.Status.PENDING).exists():
        raise AntifraudError(_("Release or decline the held operations of the case first."))
    locked.status, locked.outcome, locked.loss = Case.Status.CLOSED, outcome, loss
    locked.findings, locked.closed_at = findings.strip(), timezone.now()
    locked.save(update_fields=["status", "outcome", "loss", "findings", "closed_at"])
    if outcome == Case.Outcome.CONFIRMED:
        _queue_report(Report.Kind.FRAUD, f"fraud-{locked.pk}", fraud_payload(locked))
    audit(
        "antifraud.case_closed",
        category="security",
        actor=actor,
        target=locked,
        data={"outcome": outcome, "loss": loss},
    )
    return locked


# --- NBRK antifraud centre -------------------------------------------------------------------------
def centre() -> AntifraudCentre:
    if getattr(settings, "ANTIFRAUD_CENTRE", "embedded") == "http":
        from qaryz.antifraud.adapters.http import HttpCentre

        return HttpCentre(settings.ANTIFRAUD_CENTRE_URL, token=settings.ANTIFRAUD_CENTRE_TOKEN)
    from qaryz.antifraud.adapters.embedded import EmbeddedCentre

    return EmbeddedCentre()


def alert_payload(event: Event, decision: Decision) -> dict:
    return {
        "event": event.kind,
        "occurred_at": event.occurred_at.isoformat(),
        "subject_id": event.iin,
        "phone": event.phone,
        "ip": event.ip,
        "device_id": event.device_id,
        "iban": event.iban,
        "decision": decision.outcome,
        "rules": decision.hits,
    }


def fraud_payload(case: Case) -> dict:
    events = Event.objects.filter(alert__case=case).order_by("occurred_at")
    first = events.first()
    return {
        "case_number": case.number,
        "occurred_at": first.occurred_at.isoformat() if first else case.opened_at.isoformat(),
        "subject_id": first.iin if first else "",
        "loss": case.loss,
        "events": [
            {"event": e.kind, "occurred_at": e.occurred_at.isoformat(), "iban": e.iban} for e in events
        ],
    }


def _queue_report(kind: str, key: str, payload: dict) -> None:
    report, created = Report.objects.get_or_create(key=key, defaults={"kind": kind, "payload": payload})
    if created:
        transaction.on_commit(lambda: _send_quietly(report.pk))


def _send_quietly(report_id: int) -> None:
    try:
        send_reports(ids=[report_id])
    except Exception:  # the outbox is retried by send_antifraud_reports; never fail the operation
        logger.exception("antifraud report %s not sent", report_id)


def send_reports(*, ids: list[int] | None = None, port: AntifraudCentre | None = None) -> dict[str, int]:
    """Send pending reports; each keeps its state (accepted with reference / rejected / pending)."""
    port = port or centre()
    counts = {"accepted": 0, "rejected": 0, "pending": 0}
    rows = Report.objects.filter(status=Report.Status.PENDING)
    if ids is not None:
        rows = rows.filter(pk__in=ids)
    for report in rows.order_by("id"):
        Report.objects.filter(pk=report.pk).update(attempts=report.attempts + 1)
        try:
            ack = port.submit(CentreMessage(report.key, report.kind, report.payload))
        except CentreError as exc:
            Report.objects.filter(pk=report.pk).update(error=str(exc)[:300])
            counts["pending"] += 1
            continue
        status = Report.Status.ACCEPTED if ack.accepted else Report.Status.REJECTED
        Report.objects.filter(pk=report.pk).update(
            status=status, reference=ack.reference, error=ack.reason, sent_at=timezone.now()
        )
        counts[status] += 1
    return counts


def resend_reports(
    *,
    older_than_minutes: int | None = None,
    now: dt.datetime | None = None,
    port: AntifraudCentre | None = None,
) -> dict[str, int]:
    """The scheduled retry (beat ``resend-afc-reports``, ``manage.py resend_afc_reports``): the
    reports still pending – the centre was unreachable or its answer lost – older than N minutes
    are sent again with their own key (the centre answers a known key the same: never counted
    twice there). Audited with the counts when anything was tried."""
    minutes = settings.ANTIFRAUD_RESEND_AFTER_MINUTES if older_than_minutes is None else older_than_minutes
    cutoff = (now or timezone.now()) - dt.timedelta(minutes=minutes)
    ids = list(
        Report.objects.filter(status=Report.Status.PENDING, created_at__lte=cutoff)
        .order_by("id")
        .values_list("pk", flat=True)[:1000]
    )
    if not ids:
        return {"accepted": 0, "rejected": 0, "pending": 0}
    counts = send_reports(ids=ids, port=port)
    audit("antifraud.reports_resent", category="security", actor="system", data=counts)
    return counts
