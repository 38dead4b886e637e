"""manage.py create_test_pki and the demo data: NCA-shaped certificates, a revoked and an expired one."""

from __future__ import annotations

import io
import stat

import pytest
from django.core.management import call_command

from qaryz.signatures import demo, services
from qaryz.signatures.adapters.embedded import EmbeddedRevocationChecker
from qaryz.signatures.subject import parse_subject
from qaryz.signatures.testpki import TestPki
from qaryz.signatures.testpki_gost import GostTestPki
from qaryz.signatures.verify import Reason, TrustStore, verify_cms

from .test_signing_requests import make_client

pytestmark = pytest.mark.django_db


@pytest.mark.req("R-ONB-4")
def test_create_test_pki_issues_nca_shaped_samples_and_keys_for_clients(settings, tmp_path) -> None:
    settings.EDS_TEST_PKI_DIR = tmp_path / "test-pki"
    client = make_client(iin="550505300555", phone="+77015550555")
    out = io.StringIO()
    call_command("create_test_pki", stdout=out)
    pki = TestPki(settings.EDS_TEST_PKI_DIR)
    assert stat.S_IMODE((settings.EDS_TEST_PKI_DIR / "root.key").stat().st_mode) == 0o600
    legal = parse_subject(pki.client_key("sample-legal").certificate.subject)  # type: ignore[union-attr]
    assert legal.bin == "990140004654" and legal.iin and legal.country == "KZ"
    own = pki.client_key(client.iin)  # type: ignore[arg-type]
    assert own is not None and parse_subject(own.certificate.subject).iin == client.iin
    trust = TrustStore([pki.root])
    checker = EmbeddedRevocationChecker(settings.EDS_TEST_PKI_DIR, cache_seconds=0)
    content = b"sample"
    results = {
        label: verify_cms(pki.sign(label, content), content, trust=trust, revocation=checker).reason
        for label in ("sample-individual", "sample-legal", "sample-revoked", "sample-expired")
    }
    assert results == {
        "sample-individual": "",
        "sample-legal": "",
        "sample-revoked": Reason.REVOKED,
        "sample-expired": Reason.EXPIRED,
    }
    # The GOST 2015 samples beside them, verified the same way.
    gost_pki = GostTestPki(settings.EDS_TEST_PKI_DIR / "gost")
    assert stat.S_IMODE((gost_pki.directory / "root.key").stat().st_mode) == 0o600
    gost_checker = EmbeddedRevocationChecker(gost_pki.directory, cache_seconds=0)
    gost_results = {
        label: verify_cms(
            gost_pki.sign(label, content), content, trust=TrustStore([gost_pki.root]), revocation=gost_checker
        ).reason
        for label in ("sample-individual", "sample-legal", "sample-revoked", "sample-expired")
    }
    assert gost_results == results
    # A second run leaves the PKI alone unless forced.
    root_before = pki.root
    call_command("create_test_pki", stdout=io.StringIO())
    assert TestPki(settings.EDS_TEST_PKI_DIR).root == root_before
    call_command("create_test_pki", "--force", stdout=io.StringIO())
    assert TestPki(settings.EDS_TEST_PKI_DIR).root != root_before
    services.reset_caches()


def test_load_demo_is_idempotent_and_tolerates_no_clients(settings, tmp_path) -> None:
    settings.EDS_TEST_PKI_DIR = tmp_path / "demo-pki"
    first = io.StringIO()
    demo.load_demo(first)  # no clients yet: just the PKI
    assert "test PKI created" in first.getvalue()
    make_client(iin="440404300444", phone="+77014440444")
    second = io.StringIO()
    demo.load_demo(second)
    assert "440404300444" in second.getvalue()
    third = io.StringIO()
    demo.load_demo(third)
    assert third.getvalue() == ""
    services.reset_caches()
