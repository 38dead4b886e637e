from qaryz.access.pytest_fixtures import _outbox_file, outbox  # noqa: F401
from qaryz.lending.tests.conftest import _fresh_bureau_memory, lending_setup  # noqa: F401
from qaryz.servicing.tests.payout_helpers import sim_fixture  # noqa: F401
