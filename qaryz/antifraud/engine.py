"""Live evaluation of one event against the active rule set.

Every aggregate the rules need (velocity counts, clients sharing an IBAN or device, a recent phone
change, applications in the window, the client's usual location) is computed in ONE SQL query with
filtered aggregates over ``Event`` (each filter is covered by an index on ``(column, ts)``), so 30
rules cost one round trip. The face rule asks the biometric 1:N index.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

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


_active: tuple[float, RuleSet | None] = (0.0, None)


def active_ruleset() -> RuleSet | None:
    """The active version, cached in this process for ``ANTIFRAUD_RULESET_CACHE_SECONDS`` (a
    round trip less per event); an approval in this process clears the cache at once, other
    processes see it within that time."""
    global _active
    ttl = getattr(settings, "ANTIFRAUD_RULESET_CACHE_SECONDS", 0)
    now = time.monotonic()
    if ttl and now < _active[0]:
        return _active[1]
    found = RuleSet.objects.filter(status=RuleSet.Status.ACTIVE).first()
    _active = (now + ttl, found)
    return found


def forget_active() -> None:
    global _active
    _active = (0.0, None)


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


def _kinds_sql(rule: Rule) -> tuple[str, list]:
    wanted = rule.event_kinds or list(kinds.KINDS[rule.kind].only_for)
    if not wanted:
        return "", []
    return f" AND kind IN ({', '.join(['%s'] * len(wanted))})", list(wanted)


def _aggregates(todo: list[Rule], ctx: Context) -> dict[str, object]:
    """One SELECT of every aggregate the rules need, as plain SQL (building 30 filtered ORM
    aggregates costs more than running them). Each CASE is an aggregate's filter; the WHERE
    narrows the scan to the rows of this event's IIN, phone, device, IP, IBAN or client, each
    reached through its index – and, for a column only velocity rules count over, to the widest
    window of those rules (every row a CASE counts is still read: the results are the same)."""
    columns: list[str] = []
    params: list = []
    keys: list[str] = []
    # per key column: its value and the oldest ts a rule on it looks at (None: all time) – a
    # velocity-only column is read through its (column, ts) index from the widest window on
    where: dict[str, tuple[object, int | None]] = {}

    def reach(column: str, value: object, since: int | None) -> None:
        if column in where:
            old = where[column][1]
            since = None if old is None or since is None else min(old, since)
        where[column] = (value, since)

    located = ctx.lat is not None and ctx.lon is not None and ctx.client_id is not None
    for r in todo:
        spec = kinds.KINDS[r.kind]
        if r.kind in kinds.VELOCITY:
            value = getattr(ctx, spec.dimension)
            if value:
                ksql, kparams = _kinds_sql(r)
                since = ctx.ts - int(r.params["window_minutes"]) * 60
                columns.append(f"SUM(CASE WHEN {spec.dimension} = %s AND ts >= %s{ksql} THEN 1 ELSE 0 END)")
                params += [value, since, *kparams]
                keys.append(f"r{r.pk}")
                reach(spec.dimension, value, since)
        elif r.kind in kinds.SHARED:
            value = getattr(ctx, spec.dimension)
            if value:
                mine = " AND client_id <> %s" if ctx.client_id is not None else ""
                columns.append(
                    f"COUNT(DISTINCT CASE WHEN {spec.dimension} = %s AND client_id IS NOT NULL{mine} "
                    "THEN client_id END)"
                )
                params += [value] + ([ctx.client_id] if ctx.client_id is not None else [])
                keys.append(f"r{r.pk}")
                reach(spec.dimension, value, None)
        elif r.kind in ("phone_changed_recently", "applications_per_hour") and ctx.client_id is not None:
            which = "phone_change" if r.kind == "phone_changed_recently" else "application"
            columns.append("SUM(CASE WHEN client_id = %s AND kind = %s AND ts >= %s THEN 1 ELSE 0 END)")
            since = ctx.ts - int(r.params["window_minutes"]) * 60
            params += [ctx.client_id, which, since]
            keys.append(f"r{r.pk}")
            reach("client_id", ctx.client_id, since)
        elif r.kind == "location_far" and located and "usual_lat" not in keys:
            for axis in ("lat", "lon"):
                columns.append(
                    f"AVG(CASE WHEN client_id = %s AND lat IS NOT NULL AND lon IS NOT NULL THEN {axis} END)"
                )
                params.append(ctx.client_id)
                keys.append(f"usual_{axis}")
            reach("client_id", ctx.client_id, None)
    if not columns:
        return {}
    # column names come from kinds.KINDS, every value is a parameter
    reached: list[str] = []
    for col, (value, since) in where.items():
        reached.append(f"{col} = %s" if since is None else f"({col} = %s AND ts >= %s)")
        params += [value] if since is None else [value, since]
    sql = f"SELECT {', '.join(columns)} FROM {Event._meta.db_table} WHERE " + " OR ".join(reached)  # noqa: S608
    row = fetch_one(sql, params)
    return {k: (v if v is not None or k.startswith("usual_") else 0) for k, v in zip(keys, row, strict=True)}


def fetch_one(sql: str, params: list) -> tuple:
    """One row of ``sql``. On PostgreSQL with server-side binding as a prepared statement: the
    statement's text is the same for every event of a rule set, so it is parsed once per
    connection and sent without quoting every value into it (both cost more than running it).
    ``RECORDS_AUDIT_PREPARE=False`` (a transaction-pooling PgBouncer older than 1.21) turns the
    preparation off here as for the audit trail."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    import psycopg

    connection.ensure_connection()
    connection.validate_no_broken_transaction()
    raw = connection.connection
    prepare = bool(getattr(settings, "RECORDS_AUDIT_PREPARE", True))
    if prepare and raw.prepare_threshold is None:
        # Django turns psycopg's automatic preparation off (None), which also refuses an explicit
        # prepare=True; a threshold no statement reaches keeps it off for every other query
        raw.prepare_threshold = 2**62
    with connection.wrap_database_errors, psycopg.Cursor(raw) as cursor:
        cursor.execute(sql, params, prepare=prepare)
        return cursor.fetchone()


def evaluate(rules: list[Rule], ctx: Context, *, same_face: int | None = None) -> list[RuleHit]:
    """The rules of ``rules`` that ``ctx`` hits. ``same_face`` is the number of other IINs with
    the client's face (asked only when a face rule applies)."""
    todo = [r for r in rules if kinds.applies(r.kind, r.event_kinds, ctx.kind)]
    located = ctx.lat is not None and ctx.lon is not None and ctx.client_id is not None
    values = _aggregates(todo, ctx)

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
