"""The built-in rule kinds, their parameters and the outcome order (pure: no Django models).

A rule of a rule set names one of these kinds, its parameters (validated here), a weight and an
outcome. ``engine`` evaluates them live over stored events, ``backtest`` replays them in SQL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# --- events --------------------------------------------------------------------------------------
EVENT_KINDS: dict[str, object] = {
    "registration": _("Registration"),
    "login": _("Sign-in"),
    "application": _("Loan application"),
    "signing": _("Contract signing"),
    "phone_change": _("Change of phone number"),
    "bank_change": _("Change of bank details"),
    "payout": _("Payout"),
    "amendment": _("Signing of a contract amendment"),
    "restructuring": _("Signing of a restructuring"),
}

# --- outcomes, least to most severe ----------------------------------------------------------------
APPROVE, REVIEW, HOLD, DECLINE = "approve", "review", "hold", "decline"
OUTCOMES: dict[str, object] = {
    APPROVE: pgettext_lazy("antifraud", "Approve"),
    REVIEW: _("Review (alert)"),
    HOLD: _("Hold until a decision"),
    DECLINE: _("Decline"),
}
SEVERITY = {APPROVE: 0, REVIEW: 1, HOLD: 2, DECLINE: 3}


def worst(outcomes: list[str] | tuple[str, ...]) -> str:
    """The most severe of ``outcomes`` (approve when empty)."""
    return max(outcomes, key=SEVERITY.__getitem__, default=APPROVE)


# --- parameters ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Param:
    name: str
    label: object
    kind: str  # int | list
    default: object = None
    minimum: int = 1


THRESHOLD = Param("threshold", _("events counted (including this one)"), "int", 5)
WINDOW = Param("window_minutes", _("window, minutes"), "int", 60)
MIN_CLIENTS = Param("min_clients", _("clients sharing it (including this one)"), "int", 2, minimum=2)
DISTANCE = Param("distance_km", _("distance from the usual place, km"), "int", 500)
COUNTRIES = Param("countries", _("countries considered home (ISO codes)"), "list", ["KZ"])
FLAGS = Param(
    "flags",
    _("integrity signals"),
    "list",
    [
        "rooted",
        "emulator",
        "hooking",
        "remote_control",
        "screen_sharing",
        "attestation_invalid",
        "attestation_device",
        "attestation_app",
    ],
)
FIELDS = Param("fields", _("fields compared (empty: any)"), "list", [], minimum=0)


@dataclass(frozen=True)
class Kind:
    code: str
    label: object
    params: tuple[Param, ...]
    # the dimension a velocity / sharing kind counts over (a column of antifraud.Event)
    dimension: str = ""
    # event kinds the rule may apply to (empty: any); forced for kinds that only make sense there
    only_for: tuple[str, ...] = ()
    # outcomes the kind allows (empty: any)
    outcomes: tuple[str, ...] = ()


KINDS: dict[str, Kind] = {
    k.code: k
    for k in (
        Kind("velocity_iin", _("Velocity per IIN"), (THRESHOLD, WINDOW), dimension="iin"),
        Kind("velocity_phone", _("Velocity per phone number"), (THRESHOLD, WINDOW), dimension="phone"),
        Kind("velocity_device", _("Velocity per device"), (THRESHOLD, WINDOW), dimension="device_id"),
        Kind("velocity_ip", _("Velocity per IP address"), (THRESHOLD, WINDOW), dimension="ip"),
        Kind("velocity_iban", _("Velocity per IBAN"), (THRESHOLD, WINDOW), dimension="iban"),
        Kind("shared_iban", _("IBAN shared by several clients"), (MIN_CLIENTS,), dimension="iban"),
        Kind("shared_device", _("Device shared by several clients"), (MIN_CLIENTS,), dimension="device_id"),
        Kind(
            "phone_changed_recently",
            _("Phone changed shortly before an application"),
            (WINDOW,),
            only_for=("application",),
        ),
        Kind("location_far", _("Location far from the usual"), (DISTANCE,)),
        Kind("location_abroad", _("Location abroad"), (COUNTRIES,)),
        Kind("device_integrity", _("Device integrity signals"), (FLAGS,)),
        Kind(
            "applications_per_hour",
            _("Several applications within an hour"),
            (THRESHOLD, WINDOW),
            only_for=("application",),
        ),
        Kind("same_face", _("The same face enrolled under different IINs"), (MIN_CLIENTS,)),
        Kind("data_leak", _("Client's data flagged as leaked"), ()),
        Kind(
            "source_mismatch",
            _("Data sources do not match"),
            (FIELDS,),
            outcomes=(HOLD, DECLINE),
        ),
    )
}

VELOCITY = ("velocity_iin", "velocity_phone", "velocity_device", "velocity_ip", "velocity_iban")
SHARED = ("shared_iban", "shared_device")
DEFAULT_WINDOW = {"applications_per_hour": 60, "phone_changed_recently": 1440}


class RuleError(ValueError):
    """A rule's definition is not valid; ``message`` is shown to the security officer."""

    def __init__(self, message: object, field: str = "") -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


def clean_rule(kind: str, params: dict, outcome: str, event_kinds: list[str], weight: int) -> dict:
    """Validate a rule and return its stored parameters (only the kind's own, with defaults)."""
    spec = KINDS.get(kind)
    if spec is None:
        raise RuleError(_("Choose a rule kind from the list."), "kind")
    if outcome not in OUTCOMES:
        raise RuleError(_("Choose an outcome from the list."), "outcome")
    if spec.outcomes and outcome not in spec.outcomes:
        raise RuleError(_("A mismatch between data sources must hold or decline the operation."), "outcome")
    unknown = [e for e in event_kinds if e not in EVENT_KINDS]
    if unknown:
        raise RuleError(_("Choose the events from the list."), "event_kinds")
    if spec.only_for and any(e not in spec.only_for for e in event_kinds):
        raise RuleError(_("This rule kind applies to loan applications only."), "event_kinds")
    if not isinstance(weight, int) or weight < 0 or weight > 1000:
        raise RuleError(_("The weight is a whole number from 0 to 1000."), "weight")
    out: dict = {}
    for p in spec.params:
        value = params.get(p.name)
        if value in (None, "", []):
            value = DEFAULT_WINDOW.get(kind, p.default) if p.name == "window_minutes" else p.default
        if p.kind == "int":
            try:
                value = int(value)
            except (TypeError, ValueError):
                raise RuleError(_("Enter a whole number."), p.name) from None
            if value < p.minimum or value > 10_000_000:
                raise RuleError(_("The value must be at least %(min)s.") % {"min": p.minimum}, p.name)
        else:
            if isinstance(value, str):
                value = [v.strip() for v in value.replace(";", ",").split(",")]
            value = [str(v).strip() for v in value if str(v).strip()]
            if p.name == "countries":
                value = [v.upper() for v in value]
                if not value or any(len(v) != 2 or not v.isalpha() for v in value):
                    raise RuleError(_("Give two-letter country codes, e.g. KZ."), p.name)
            if p.minimum and not value:
                raise RuleError(_("Give at least one value."), p.name)
        out[p.name] = value
    return out


def applies(kind: str, event_kinds: list[str], event_kind: str) -> bool:
    """Whether a rule of ``kind`` limited to ``event_kinds`` is evaluated on ``event_kind``."""
    spec = KINDS[kind]
    wanted = event_kinds or list(spec.only_for)
    return not wanted or event_kind in wanted


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, Earth radius 6371 km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(a)))


def integrity_hit(flags: list[str], attributes: dict) -> list[str]:
    """The integrity signals of ``flags`` the device reported (``attributes[flag] is True`` or the
    flag listed in ``attributes["device_flags"]``)."""
    listed = attributes.get("device_flags") or []
    listed = set(listed) if isinstance(listed, list | tuple) else set()
    return [f for f in flags if attributes.get(f) is True or f in listed]


def mismatch_hit(fields: list[str], attributes: dict) -> list[str]:
    """The mismatched fields the caller reported (``attributes["mismatched_fields"]``), limited to
    ``fields`` when the rule names some."""
    reported = attributes.get("mismatched_fields") or []
    if not isinstance(reported, list | tuple):
        return []
    reported = [str(f) for f in reported if f]
    return [f for f in reported if not fields or f in fields]
