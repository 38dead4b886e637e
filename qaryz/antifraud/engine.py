"""Live evaluation of one event against the active rule set.

Every aggregate the rules need (velocity counts, clients sharing an IBAN or device, a recent phone
change, applications in the window, the client's usual location) is computed in ONE SQL query with
filtered aggregates over ``Event`` (each filter is covered by an index on ``(column, ts)``), so 30
rules cost one round trip. The face rule asks the biometric 1:N index.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Q

from qaryz.antifraud import kinds
from qaryz.antifraud.models import Event, Rule, RuleSet


@dataclass
class Context:
    kind: str
    ts: int
    client_id: int | None = None
    iin: str = ""
    phone: str = ""
    device_id: str = ""
    ip: str = ""
    iban: str = ""
    lat: float | None = None
    lon: float | None = None
    country: str = ""
    attributes: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RuleHit:
    rule: Rule
    detail: dict


_rules_cache: dict[tuple, list[Rule]] = {}


def active_ruleset() -> RuleSet | None:
    return RuleSet.objects.filter(status=RuleSet.Status.ACTIVE).first()


def rules_of(ruleset: RuleSet) -> list[Rule]:
    """The rules of a version; cached per process once it left the draft (they never change then)."""
    if ruleset.status == RuleSet.Status.DRAFT:
        return list(ruleset.rules.all())
    key = (ruleset.pk, ruleset.status, ruleset.submitted_at, ruleset.approved_at)
    rules = _rules_cache.get(key)
    if rules is None:
        rules = list(ruleset.rules.all())
        if len(_rules_cache) > 50:
            _rules_cache.clear()
        _rules_cache[key] = rules
    return rules


def _kinds_q(rule: Rule) -> Q:
    wanted = rule.event_kinds or list(kinds.KINDS[rule.kind].only_for)
    return Q(kind__in=wanted) if wanted else Q()


def evaluate(rules: list[Rule], ctx: Context, *, same_face: int | None = None) -> list[RuleHit]:
    """The rules of ``rules`` that ``ctx`` hits. ``same_face`` is the number of other IINs with
    the client's face (asked only when a face rule applies)."""
    todo = [r for r in rules if kinds.applies(r.kind, r.event_kinds, ctx.kind)]
    aggs: dict[str, object] = {}
    base = Q()
    used = False

    def widen(q: Q) -> None:
        nonlocal base, used
        base = base | q if used else q
        used = True

    located = ctx.lat is not None and ctx.lon is not None and ctx.client_id is not None
    for r in todo:
        key = f"r{r.pk}"
        spec = kinds.KINDS[r.kind]
        if r.kind in kinds.VELOCITY:
            value = getattr(ctx, spec.dimension)
            if value:
                since = ctx.ts - int(r.params["window_minutes"]) * 60
                aggs[key] = Count("id", filter=Q(**{spec.dimension: value}, ts__gte=since) & _kinds_q(r))
                widen(Q(**{spec.dimension: value}))
        elif r.kind in kinds.SHARED:
            value = getattr(ctx, spec.dimension)
            if value:
                others = Q(**{spec.dimension: value}, client_id__isnull=False)
                if ctx.client_id is not None:
                    others &= ~Q(client_id=ctx.client_id)
                aggs[key] = Count("client_id", distinct=True, filter=others)
                widen(Q(**{spec.dimension: value}))
        elif r.kind in ("phone_changed_recently", "applications_per_hour") and ctx.client_id is not None:
            since = ctx.ts - int(r.params["window_minutes"]) * 60
            which = "phone_change" if r.kind == "phone_changed_recently" else "application"
            aggs[key] = Count("id", filter=Q(client_id=ctx.client_id, kind=which, ts__gte=since))
            widen(Q(client_id=ctx.client_id))
        elif r.kind == "location_far" and located and "usual_lat" not in aggs:
            where = Q(client_id=ctx.client_id, lat__isnull=False, lon__isnull=False)
            aggs["usual_lat"] = Avg("lat", filter=where)
            aggs["usual_lon"] = Avg("lon", filter=where)
            widen(Q(client_id=ctx.client_id))
    values = Event.objects.filter(base).aggregate(**aggs) if aggs else {}

    hits: list[RuleHit] = []
    mine = 1 if ctx.client_id is not None else 0
    for r in todo:
        p, key, detail = r.params, f"r{r.pk}", None
        if r.kind in kinds.VELOCITY or r.kind == "applications_per_hour":
            if key in values:
                n = values[key] + 1
                detail = {"count": n} if n >= p["threshold"] else None
        elif r.kind in kinds.SHARED:
            if key in values:
                n = values[key] + mine
                detail = {"clients": n} if n >= p["min_clients"] else None
        elif r.kind == "phone_changed_recently":
            if values.get(key):
                detail = {"phone_changes": values[key]}
        elif r.kind == "location_far":
            if located and values.get("usual_lat") is not None:
                km = kinds.distance_km(values["usual_lat"], values["usual_lon"], ctx.lat, ctx.lon)
                detail = {"km": round(km)} if km >= p["distance_km"] else None
        elif r.kind == "location_abroad":
            if ctx.country and ctx.country not in p["countries"]:
                detail = {"country": ctx.country}
        elif r.kind == "device_integrity":
            flags = kinds.integrity_hit(p["flags"], ctx.attributes)
            detail = {"flags": flags} if flags else None
        elif r.kind == "data_leak":
            detail = {"flagged": True} if ctx.attributes.get("data_leak_flagged") is True else None
        elif r.kind == "source_mismatch":
            fields = kinds.mismatch_hit(p["fields"], ctx.attributes)
            detail = {"fields": fields} if fields else None
        elif r.kind == "same_face" and same_face is not None and same_face + mine >= p["min_clients"]:
            detail = {"clients": same_face + mine}
        if detail is not None:
            hits.append(RuleHit(r, detail))
    return hits


def needs_face(rules: list[Rule], event_kind: str) -> bool:
    return any(r.kind == "same_face" and kinds.applies(r.kind, r.event_kinds, event_kind) for r in rules)


def now_ts() -> int:
    return int(time.time())
