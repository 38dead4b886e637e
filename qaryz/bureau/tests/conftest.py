from qaryz.lending.tests.conftest import _fresh_bureau_memory, lending_setup  # noqa: F401
