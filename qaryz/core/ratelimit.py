"""Fixed-window rate limits kept in the cache (Redis in production, local memory embedded).

`allow(scope, who, limit=…, window=…)` counts one hit and says whether it is still within the limit.
The caller's identity (an address, a phone) is hashed before it becomes a cache key.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache


def _key(scope: str, who: str, window: int) -> str:
    digest = hashlib.sha256(who.encode("utf-8", "replace")).hexdigest()[:32]
    return f"qaryz:rl:{scope}:{digest}:{int(time.time() // window)}"


def allow(scope: str, who: str, *, limit: int, window: int) -> bool:
    """Count a hit of `who` on `scope`; False once more than `limit` hits fell in the current window."""
    key = _key(scope, who, window)
    cache.add(key, 0, timeout=window + 5)
    try:
        hits = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=window + 5)
        hits = 1
    return hits <= limit


def client_address(request: object) -> str:
    """The address the request came from (REMOTE_ADDR, which the proxy in front sets)."""
    meta = getattr(request, "META", {}) or {}
    return str(meta.get("REMOTE_ADDR") or "unknown")
