"""Every cabinet page has its /api/v1 counterpart (R-CH-1): the table of qaryz/api/parity.py
covers every client page of qaryz/access/policy.py PAGES, names only operations the API has, and
docs/api.md shows the same table."""

from __future__ import annotations

from pathlib import Path

import pytest

from qaryz.access import policy
from qaryz.api.api import api
from qaryz.api.parity import PARITY, WEB_ONLY

DOCS = Path(__file__).resolve().parents[3] / "docs" / "api.md"
# Pages outside any namespace that are the client's too (the language switch).
OTHER_CLIENT_PAGES = {"set_language"}


def client_pages() -> set[str]:
    """What a client uses on the web: pages needing a client session, and the public sign-in,
    registration and recovery pages (webhooks and staff pages are not the client's)."""
    return {
        name
        for name, needs in policy.PAGES.items()
        if needs == policy.CLIENT or (needs == policy.PUBLIC and name.startswith("access:"))
    } | OTHER_CLIENT_PAGES


def _operations() -> set[str]:
    schema = api.get_openapi_schema()
    return {
        f"{method.upper()} {path.removeprefix('/api/v1')}"
        for path, operations in schema["paths"].items()
        for method in operations
    }


@pytest.mark.req("R-CH-1")
def test_every_cabinet_page_has_an_api_counterpart():
    missing = sorted(client_pages() - set(PARITY) - set(WEB_ONLY))
    assert missing == [], f"add these pages with their API operations to qaryz/api/parity.py: {missing}"
    stale = sorted((set(PARITY) | set(WEB_ONLY)) - client_pages())
    assert stale == [], f"not client pages (any more): {stale}"
    assert not set(PARITY) & set(WEB_ONLY)
    assert all(ops for ops in PARITY.values()) and all(reason for reason in WEB_ONLY.values())


@pytest.mark.req("R-CH-1")
def test_the_table_names_only_operations_the_api_has():
    operations = _operations()
    unknown = sorted({op for ops in PARITY.values() for op in ops} - operations)
    assert unknown == [], f"no such API operations: {unknown}"
    undeclared = sorted(
        op
        for ops in PARITY.values()
        for op in ops
        if f"{op.split()[0]} /api/v1{op.split()[1]}" not in policy.API
    )
    assert undeclared == []


@pytest.mark.req("R-CH-1")
def test_docs_show_the_same_table():
    rows = {
        line.split("|")[1].strip().strip("`"): line
        for line in DOCS.read_text(encoding="utf-8").splitlines()
        if line.startswith("| `")
    }
    for page, ops in PARITY.items():
        assert page in rows, f"docs/api.md misses {page}"
        for op in ops:
            assert f"`{op}`" in rows[page], f"docs/api.md: {page} misses {op}"
    for page in WEB_ONLY:
        assert page in rows, f"docs/api.md misses {page}"
    assert set(rows) == set(PARITY) | set(WEB_ONLY)


@pytest.mark.req("R-CH-1")
def test_the_check_fails_for_a_page_without_counterpart(monkeypatch):
    """The guard itself: a new client page with no line in the table is reported."""
    monkeypatch.setitem(policy.PAGES, "servicing:brand-new-page", policy.CLIENT)
    assert "servicing:brand-new-page" in client_pages() - set(PARITY) - set(WEB_ONLY)
