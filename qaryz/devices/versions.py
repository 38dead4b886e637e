"""App version policy (pure): is an update available, is it mandatory.

The policy is a mapping ``platform -> {"min": "1.4.0", "latest": "1.6.2"}`` (settings
``APP_VERSION_POLICY``). Versions are dotted numbers compared numerically ("1.10" > "1.9");
a suffix after ``-`` or ``+`` (build, pre-release tag) is ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PLATFORMS = ("android", "ios")
_VERSION = re.compile(r"^\d{1,5}(\.\d{1,5}){0,3}$")


class VersionError(ValueError):
    pass


def parse_version(text: str) -> tuple[int, ...]:
    core = (text or "").strip().split("-", 1)[0].split("+", 1)[0]
    if not _VERSION.match(core):
        raise VersionError(text)
    parts = [int(p) for p in core.split(".")]
    while len(parts) < 3:
        parts.append(0)
    return tuple(parts)


@dataclass(frozen=True)
class VersionVerdict:
    platform: str
    version: str
    min_supported: str
    latest: str
    update_available: bool
    update_required: bool


def evaluate(policy: dict[str, dict[str, str]], platform: str, version: str) -> VersionVerdict:
    """Verdict for ``version`` on ``platform``; raises VersionError on an unknown platform or a
    malformed version."""
    platform = (platform or "").strip().lower()
    if platform not in policy:
        raise VersionError(platform)
    rule = policy[platform]
    current = parse_version(version)
    minimum = parse_version(rule.get("min", "0"))
    latest = parse_version(rule.get("latest", rule.get("min", "0")))
    return VersionVerdict(
        platform=platform,
        version=version.strip(),
        min_supported=rule.get("min", "0"),
        latest=rule.get("latest", rule.get("min", "0")),
        update_available=current < latest,
        update_required=current < minimum,
    )
