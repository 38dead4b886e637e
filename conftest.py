"""Project-wide test fixtures: requirement markers, browser harness, isolated data directories."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).parent / "var" / "test-artifacts"
CHROMIUM = os.environ.get("QARYZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path: Path) -> None:
    """Every test writes files to its own directory (vault objects, outbox, exports)."""
    settings.MEDIA_ROOT = tmp_path / "files"


@pytest.fixture(autouse=True)
def _no_channel_check(settings) -> None:
    """Other rooms' tests seed no channels: the regulator's blocking check on the clients' side is
    off, except in its own tests (qaryz/regulator/tests/test_gate.py switches it on)."""
    settings.REGULATOR_CHANNEL_CHECK = False


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Rate-limit counters (and anything else cached) never leak from one test into the next."""
    from django.core.cache import cache

    from qaryz.antifraud import engine

    cache.clear()
    engine.forget_active()  # the active rule set is cached per process: never a rolled-back one
    engine._rules_cache.clear()
    yield


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def browser_launch_args() -> list[str]:
    """Extra Chromium flags; tests needing a fake camera override this fixture in their module."""
    return []


@pytest.fixture(scope="session")
def chromium(browser_launch_args: list[str]) -> Iterator[object]:
    """Headless Debian Chromium driven by Playwright (never a downloaded browser)."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: scripts/test installs Debian's chromium package")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + browser_launch_args
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server) -> Iterator[object]:
    context = chromium.new_context(base_url=live_server.url, locale="ru-RU")
    page = context.new_page()
    yield page
    context.close()


# Property tests run on shared, loaded machines: a slow example is not a failure.
# QARYZ_HYPOTHESIS_PROFILE=ci derandomises the examples when a run must be replayed exactly.
from hypothesis import HealthCheck  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402

hypothesis_settings.register_profile(
    "dev", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
hypothesis_settings.register_profile(
    "ci", deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True, print_blob=True
)
hypothesis_settings.load_profile(os.environ.get("QARYZ_HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True)
def _fresh_ledger_account_cache() -> Iterator[None]:
    """The ledger caches account ids per process; test databases roll back, so each test starts empty."""
    from qaryz.servicing.ledger import _account_id

    _account_id.cache_clear()
    yield
    _account_id.cache_clear()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Each test starts in the default language: a request in kk through the test client leaves
    kk active in the thread (LocaleMiddleware activates, nothing deactivates)."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
