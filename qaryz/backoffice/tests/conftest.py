from qaryz.access.pytest_fixtures import _outbox_file, audited, outbox  # noqa: F401
from qaryz.lending.tests.conftest import _fresh_bureau_memory, lending_setup  # noqa: F401
