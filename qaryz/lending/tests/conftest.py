import pytest

from qaryz.compliance import demo as compliance_demo
from qaryz.lending.tests.factories import product, rule_sets


@pytest.fixture
def lending_setup(db):
    """Demo rule sets, the demo product and the fictional AML list."""
    import io

    rule_sets()
    compliance_demo.load_demo(io.StringIO())
    return product()


# The signatures room's session test PKI (OCSP/CRL on a free port) and its settings fixture.
from qaryz.signatures.tests.conftest import eds_settings, test_pki  # noqa: E402, F401


@pytest.fixture(autouse=True)
def _fresh_bureau_memory():
    """The embedded bureau remembers inquiries for an hour (several within the hour → review);
    tests reuse the signatures room's fixed IIN, so each test starts with an empty memory."""
    from qaryz.lending.adapters import embedded

    embedded._SIMULATOR._inquiries.clear()
    yield
    embedded._SIMULATOR._inquiries.clear()
