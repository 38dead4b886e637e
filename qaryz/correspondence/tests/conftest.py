from qaryz.access.pytest_fixtures import _outbox_file, audited, outbox  # noqa: F401
