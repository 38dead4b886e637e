# ruff: noqa: S608 – SQL built from column names of kinds.KINDS and validated integers; values are parameters
"""Back-test: replay the stored events of a period against a rule-set version, set-based.

Each rule becomes one ``INSERT … SELECT`` into a temporary table of hits: the velocity kinds a
window function over ``(column, ts)`` (``COUNT(*) OVER (PARTITION BY col ORDER BY ts RANGE BETWEEN
W PRECEDING AND CURRENT ROW)``), the sharing kinds the N-th client's first appearance per value,
the location kind a running average of the client's earlier positions, the attribute kinds a
plain filter. Then one grouped query gives each event's decision under the version (worst outcome
of its hits, raised by the score thresholds), compared with the known outcomes – the cases closed
as confirmed fraud or false positive, through their alerts. The same SQL runs on PostgreSQL and
SQLite (Django registers the math functions there).

What cannot be replayed from the stored events: the face rule uses the number of other IINs with
the same face recorded at evaluation time (``attributes.same_face_clients``), absent for events
evaluated while no face rule applied.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Q

from qaryz.antifraud import kinds
from qaryz.antifraud.models import Alert, Event, Rule, RuleSet

EV = Event._meta.db_table
TMP = "af_backtest_hits"


@dataclass
class RuleResult:
    code: str
    kind: str
    outcome: str
    hits: int = 0
    confirmed: int = 0  # hits on events of cases closed as confirmed fraud
    false_positive: int = 0  # hits on events of cases closed as false positives


@dataclass
class Report:
    version: int
    start: dt.datetime
    end: dt.datetime
    events: int = 0
    rules: list[RuleResult] = field(default_factory=list)
    decisions: dict[str, int] = field(default_factory=dict)  # outcome -> events
    confirmed_total: int = 0
    confirmed_caught: int = 0  # confirmed fraud events the version would at least review
    false_positive_total: int = 0
    false_positive_flagged: int = 0
    seconds: float = 0.0


def _kinds_sql(rule: Rule, alias: str = "") -> tuple[str, list]:
    wanted = rule.event_kinds or list(kinds.KINDS[rule.kind].only_for)
    if not wanted:
        return "", []
    return f" AND {alias}kind IN ({', '.join(['%s'] * len(wanted))})", list(wanted)


def _insert(rule: Rule, select: str, params: list) -> None:
    sev = kinds.SEVERITY[rule.outcome]
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {TMP} (event_id, rule_id, weight, sev) SELECT id, %s, %s, %s FROM ({select}) hits",  # nosec B608 – names from kinds.KINDS and constants, values are parameters
            [rule.pk, rule.weight, sev, *params],
        )


def _velocity_group(rules: list[Rule], lo: int, hi: int) -> None:
    """Velocity rules over the same column and event kinds: ONE window pass (one sort) computes
    every rule's count into a temporary table, then each rule's hits are a plain filter of it."""
    first = rules[0]
    col = kinds.KINDS[first.kind].dimension
    ksql, kparams = _kinds_sql(first)
    widest = max(int(r.params["window_minutes"]) * 60 for r in rules)
    counts = ", ".join(
        f"COUNT(*) OVER (PARTITION BY {col} ORDER BY ts RANGE BETWEEN "
        f"{int(r.params['window_minutes']) * 60} PRECEDING AND CURRENT ROW) AS n{i}"
        for i, r in enumerate(rules)
    )
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {TMP}_v")
        cur.execute(
            f"CREATE TEMPORARY TABLE {TMP}_v AS SELECT id, ts, {counts} FROM {EV} "  # nosec B608 – names from kinds.KINDS and constants, values are parameters
            f"WHERE {col} <> '' AND ts >= %s AND ts <= %s{ksql}",
            [lo - widest, hi, *kparams],
        )
    for i, r in enumerate(rules):
        _insert(r, f"SELECT id FROM {TMP}_v WHERE n{i} >= {int(r.params['threshold'])} AND ts >= %s", [lo])
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE {TMP}_v")


def _velocity(rule: Rule, lo: int, hi: int) -> None:
    col = kinds.KINDS[rule.kind].dimension
    w, n = int(rule.params["window_minutes"]) * 60, int(rule.params["threshold"])
    ksql, kparams = _kinds_sql(rule)
    select = (
        f"SELECT id FROM (SELECT id, ts, COUNT(*) OVER (PARTITION BY {col} ORDER BY ts "
        f"RANGE BETWEEN {w} PRECEDING AND CURRENT ROW) AS n FROM {EV} "
        f"WHERE {col} <> '' AND ts >= %s AND ts <= %s{ksql}) x WHERE n >= {n} AND ts >= %s"
    )
    _insert(rule, select, [lo - w, hi, *kparams, lo])


def _client_window(rule: Rule, lo: int, hi: int) -> None:
    """phone_changed_recently and applications_per_hour: a window over the client's events."""
    w = int(rule.params["window_minutes"]) * 60
    if rule.kind == "applications_per_hour":
        agg, cond = "COUNT(*)", f">= {int(rule.params['threshold'])}"
        inner_kinds = "kind = 'application'"
    else:
        agg, cond = "MAX(CASE WHEN kind = 'phone_change' THEN 1 ELSE 0 END)", "= 1"
        inner_kinds = "kind IN ('application', 'phone_change')"
    select = (
        f"SELECT id FROM (SELECT id, ts, kind, {agg} OVER (PARTITION BY client_id ORDER BY ts "
        f"RANGE BETWEEN {w} PRECEDING AND CURRENT ROW) AS n FROM {EV} "
        f"WHERE client_id IS NOT NULL AND {inner_kinds} AND ts >= %s AND ts <= %s) x "
        f"WHERE kind = 'application' AND n {cond} AND ts >= %s"
    )
    _insert(rule, select, [lo - w, hi, lo])


def _shared(rule: Rule, lo: int, hi: int) -> None:
    col = kinds.KINDS[rule.kind].dimension
    n = int(rule.params["min_clients"])
    ksql, kparams = _kinds_sql(rule, "e.")
    select = (
        f"SELECT e.id AS id FROM {EV} e JOIN (SELECT v, first_ts FROM (SELECT v, first_ts, "
        f"ROW_NUMBER() OVER (PARTITION BY v ORDER BY first_ts, client_id) AS rn FROM (SELECT {col} AS v, "
        f"client_id, MIN(ts) AS first_ts FROM {EV} WHERE {col} <> '' AND client_id IS NOT NULL "
        f"AND ts <= %s GROUP BY {col}, client_id) f) r WHERE rn = {n}) t ON e.{col} = t.v "
        f"WHERE e.ts >= t.first_ts AND e.ts >= %s AND e.ts <= %s AND e.client_id IS NOT NULL{ksql}"
    )
    _insert(rule, select, [hi, lo, hi, *kparams])


def _location_far(rule: Rule, lo: int, hi: int) -> None:
    d = int(rule.params["distance_km"])
    ksql, kparams = _kinds_sql(rule)
    frame = "OVER (PARTITION BY client_id ORDER BY ts, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
    haversine = (
        "2 * 6371 * ASIN(SQRT(POWER(SIN(RADIANS(lat - ulat) / 2), 2) + COS(RADIANS(ulat)) * "
        "COS(RADIANS(lat)) * POWER(SIN(RADIANS(lon - ulon) / 2), 2)))"
    )
    select = (
        f"SELECT id FROM (SELECT id, ts, kind, lat, lon, AVG(lat) {frame} AS ulat, AVG(lon) {frame} AS ulon "
        f"FROM {EV} WHERE client_id IS NOT NULL AND lat IS NOT NULL AND lon IS NOT NULL AND ts <= %s) x "
        f"WHERE ulat IS NOT NULL AND ts >= %s{ksql} AND {haversine} >= {d}"
    )
    _insert(rule, select, [hi, lo, *kparams])


def _attribute_q(rule: Rule) -> Q:
    p = rule.params
    if rule.kind == "location_abroad":
        return ~Q(country="") & ~Q(country__in=p["countries"])
    if rule.kind == "device_integrity":
        q = Q(pk__in=[])
        for flag in p["flags"]:
            q |= Q(**{f"attributes__{flag}": True})
        return q
    if rule.kind == "data_leak":
        return Q(attributes__data_leak_flagged=True)
    if rule.kind == "source_mismatch":
        if not p["fields"]:
            return Q(attributes__mismatch_any=True)
        q = Q(pk__in=[])
        for f in p["fields"]:
            q |= Q(**{f"attributes__mismatch_{f}": True})
        return q
    if rule.kind == "same_face":
        return Q(client__isnull=False, attributes__same_face_clients__gte=int(p["min_clients"]) - 1)
    raise ValueError(rule.kind)


def _attribute(rule: Rule, lo: int, hi: int) -> None:
    qs = Event.objects.filter(_attribute_q(rule), ts__gte=lo, ts__lte=hi)
    wanted = rule.event_kinds or list(kinds.KINDS[rule.kind].only_for)
    if wanted:
        qs = qs.filter(kind__in=wanted)
    sql, params = qs.values("id").query.sql_with_params()
    _insert(rule, sql, list(params))


def _replay(rule: Rule, lo: int, hi: int) -> None:
    if rule.kind in kinds.VELOCITY:
        _velocity(rule, lo, hi)
    elif rule.kind in kinds.SHARED:
        _shared(rule, lo, hi)
    elif rule.kind in ("phone_changed_recently", "applications_per_hour"):
        _client_window(rule, lo, hi)
    elif rule.kind == "location_far":
        _location_far(rule, lo, hi)
    else:
        _attribute(rule, lo, hi)


def _labels_sql() -> str:
    return (
        f"SELECT a.event_id AS event_id, c.outcome AS outcome FROM {Alert._meta.db_table} a "
        f"JOIN antifraud_case c ON c.id = a.case_id WHERE c.outcome <> ''"
    )


def run(ruleset: RuleSet, start: dt.datetime, end: dt.datetime) -> Report:
    """Replay the events of ``[start, end]`` against ``ruleset``; nothing is written for good."""
    began = time.perf_counter()
    lo, hi = int(start.timestamp()), int(end.timestamp())
    report = Report(ruleset.version, start, end)
    report.events = Event.objects.filter(ts__gte=lo, ts__lte=hi).count()
    rules = list(ruleset.rules.all())
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {TMP}")
        cur.execute(
            f"CREATE TEMPORARY TABLE {TMP} (event_id BIGINT, rule_id BIGINT, weight INTEGER, sev INTEGER)"
        )
        groups: dict[tuple, list[Rule]] = {}
        for rule in rules:
            if rule.kind in kinds.VELOCITY:
                key = (rule.kind, tuple(sorted(rule.event_kinds or [])))
                groups.setdefault(key, []).append(rule)
            else:
                _replay(rule, lo, hi)
        for group in groups.values():
            _velocity_group(group, lo, hi) if len(group) > 1 else _velocity(group[0], lo, hi)
        labels = _labels_sql()
        cur.execute(
            f"SELECT h.rule_id, COUNT(*), SUM(CASE WHEN l.outcome = 'confirmed_fraud' THEN 1 ELSE 0 END), "  # nosec B608 – names from kinds.KINDS and constants, values are parameters
            f"SUM(CASE WHEN l.outcome = 'false_positive' THEN 1 ELSE 0 END) FROM {TMP} h "
            f"LEFT JOIN ({labels}) l ON l.event_id = h.event_id GROUP BY h.rule_id"
        )
        per_rule = {row[0]: row[1:] for row in cur.fetchall()}
        for rule in rules:
            hits, confirmed, fp = per_rule.get(rule.pk, (0, 0, 0))
            report.rules.append(RuleResult(rule.code, rule.kind, rule.outcome, hits, confirmed or 0, fp or 0))
        rs = ruleset
        score_sev = (
            f"CASE WHEN w >= {rs.decline_score} THEN 3 WHEN w >= {rs.hold_score} THEN 2 "
            f"WHEN w >= {rs.review_score} THEN 1 ELSE 0 END"
        )
        cur.execute(
            f"SELECT CASE WHEN s > {score_sev} THEN s ELSE {score_sev} END AS final, l.outcome, COUNT(*) "  # nosec B608 – names from kinds.KINDS and constants, values are parameters
            f"FROM (SELECT event_id, MAX(sev) AS s, SUM(weight) AS w FROM {TMP} GROUP BY event_id) d "
            f"LEFT JOIN ({labels}) l ON l.event_id = d.event_id GROUP BY 1, 2"
        )
        names = {v: k for k, v in kinds.SEVERITY.items()}
        flagged = 0
        for final, label, count in cur.fetchall():
            name = names[int(final)]
            report.decisions[name] = report.decisions.get(name, 0) + count
            flagged += count
            if int(final) >= kinds.SEVERITY[kinds.REVIEW]:
                if label == "confirmed_fraud":
                    report.confirmed_caught += count
                elif label == "false_positive":
                    report.false_positive_flagged += count
        report.decisions[kinds.APPROVE] = report.decisions.get(kinds.APPROVE, 0) + report.events - flagged
        cur.execute(
            f"SELECT l.outcome, COUNT(*) FROM ({labels}) l JOIN {EV} e ON e.id = l.event_id "  # nosec B608 – names from kinds.KINDS and constants, values are parameters
            f"WHERE e.ts >= %s AND e.ts <= %s GROUP BY l.outcome",
            [lo, hi],
        )
        for label, count in cur.fetchall():
            if label == "confirmed_fraud":
                report.confirmed_total = count
            elif label == "false_positive":
                report.false_positive_total = count
        cur.execute(f"DROP TABLE {TMP}")
    report.seconds = time.perf_counter() - began
    return report
