import pytest

from qaryz.access.pytest_fixtures import _outbox_file, outbox  # noqa: F401
from qaryz.lending.tests.conftest import _fresh_bureau_memory, lending_setup  # noqa: F401
from qaryz.servicing.tests.payout_helpers import sim_fixture  # noqa: F401


@pytest.fixture(autouse=True)
def _forget_the_active_rule_set():
    """The active version is cached per process; test databases roll back, so no test sees the
    previous test's version."""
    from qaryz.antifraud import engine

    engine.forget_active()
    yield
    engine.forget_active()
