"""Fixtures of the signatures room: a test PKI per test session (per xdist worker) with its own
OCSP responder + CRL publisher listening on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import cms as acms

from qaryz.signatures import gost, services
from qaryz.signatures.adapters.embedded import TestPkiServer
from qaryz.signatures.adapters.http import HttpRevocationChecker
from qaryz.signatures.testpki import ClientKey, TestPki
from qaryz.signatures.testpki_gost import GostTestPki
from qaryz.signatures.verify import TrustStore

GOOD_IIN = "900101300123"
OTHER_IIN = "910202400234"
ENTITY_BIN = "990140004654"
SIGNER_IIN = "850505300345"


@dataclass
class Pki:
    directory: Path
    pki: TestPki
    server: TestPkiServer
    good: ClientKey
    other: ClientKey
    entity_signer: ClientKey
    expired: ClientKey
    not_yet_valid: ClientKey
    no_signing_usage: ClientKey

    @property
    def trust(self) -> TrustStore:
        return TrustStore([self.pki.root])

    def checker(self, **kwargs: object) -> HttpRevocationChecker:
        return HttpRevocationChecker(cache_seconds=0, timeout=3, **kwargs)  # type: ignore[arg-type]

    def fresh(self, iin: str = GOOD_IIN, **kwargs: object) -> ClientKey:
        """A new key (for tests that revoke it) without replacing the stored client key."""
        return self.pki.issue_client(iin=iin, surname="НОВЫЙ", given_name="КЛЮЧ", store=False, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def test_pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pki]:
    directory = tmp_path_factory.mktemp("test-pki")
    server = TestPkiServer(directory).start()
    pki = TestPki.create(directory, base_url=server.url)
    now = datetime.now(UTC)
    try:
        yield Pki(
            directory=directory,
            pki=pki,
            server=server,
            good=pki.issue_client(iin=GOOD_IIN, surname="САПАРОВ", given_name="АСКАР"),
            other=pki.issue_client(iin=OTHER_IIN, surname="ДРУГОЙ", given_name="ЧЕЛОВЕК"),
            entity_signer=pki.issue_client(
                iin=SIGNER_IIN,
                surname="ДИРЕКТОРОВ",
                given_name="ДИРЕКТОР",
                bin=ENTITY_BIN,
                organisation="ТОО «Тест»",
            ),
            expired=pki.issue_client(
                iin=GOOD_IIN,
                surname="САПАРОВ",
                given_name="АСКАР",
                label="expired",
                not_before=now - timedelta(days=400),
                not_after=now - timedelta(days=30),
            ),
            not_yet_valid=pki.issue_client(
                iin=GOOD_IIN,
                surname="САПАРОВ",
                given_name="АСКАР",
                label="future",
                not_before=now + timedelta(days=3),
                not_after=now + timedelta(days=400),
            ),
            no_signing_usage=pki.issue_client(
                iin=GOOD_IIN, surname="САПАРОВ", given_name="АСКАР", label="encryption-only", signing=False
            ),
        )
    finally:
        server.stop()


@dataclass
class GostPki(Pki):
    good_256: ClientKey | None = None


@pytest.fixture(scope="session")
def gost_pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GostPki]:
    """The GOST test PKI (512-bit CAs; clients 512-bit, one 256-bit) with its own OCSP/CRL service."""
    directory = tmp_path_factory.mktemp("gost-pki")
    server = TestPkiServer(directory).start()
    pki = GostTestPki.create(directory, base_url=server.url)
    now = datetime.now(UTC)
    try:
        yield GostPki(
            directory=directory,
            pki=pki,
            server=server,
            good=pki.issue_client(iin=GOOD_IIN, surname="САПАРОВ", given_name="АСКАР"),
            other=pki.issue_client(iin=OTHER_IIN, surname="ДРУГОЙ", given_name="ЧЕЛОВЕК"),
            entity_signer=pki.issue_client(
                iin=SIGNER_IIN,
                surname="ДИРЕКТОРОВ",
                given_name="ДИРЕКТОР",
                bin=ENTITY_BIN,
                organisation="ТОО «Тест»",
            ),
            expired=pki.issue_client(
                iin=GOOD_IIN,
                surname="САПАРОВ",
                given_name="АСКАР",
                label="expired",
                not_before=now - timedelta(days=400),
                not_after=now - timedelta(days=30),
            ),
            not_yet_valid=pki.issue_client(
                iin=GOOD_IIN,
                surname="САПАРОВ",
                given_name="АСКАР",
                label="future",
                not_before=now + timedelta(days=3),
                not_after=now + timedelta(days=400),
            ),
            no_signing_usage=pki.issue_client(
                iin=GOOD_IIN, surname="САПАРОВ", given_name="АСКАР", label="encryption-only", signing=False
            ),
            good_256=pki.issue_client(
                iin=GOOD_IIN,
                surname="САПАРОВ",
                given_name="АСКАР",
                label="good-256",
                paramset=gost.PARAMSET_256_A,
            ),
        )
    finally:
        server.stop()


@pytest.fixture
def eds_settings(settings, test_pki: Pki) -> Iterator[Pki]:
    """Point the room's settings at the session's test PKI, with the real HTTP revocation client."""
    settings.EDS_TEST_PKI_DIR = test_pki.directory
    settings.EDS_TRUST_TEST_PKI = True
    settings.EDS_TRUSTED_ROOTS_DIR = ""
    settings.EDS_INTERMEDIATES_DIR = ""
    settings.EDS_REVOCATION = "http"
    settings.EDS_OCSP_URL = ""
    settings.EDS_CRL_URL = ""
    settings.EDS_OCSP_CACHE_SECONDS = 0
    settings.EDS_HTTP_TIMEOUT = 3
    services.reset_caches()
    test_pki.server.set_online(ocsp=True, crl=True)
    yield test_pki
    test_pki.server.set_online(ocsp=True, crl=True)
    services.reset_caches()


def resign_with(der: bytes, mutate) -> bytes:  # type: ignore[no-untyped-def]
    """Load a CMS, let ``mutate`` change its SignerInfo, and re-encode it."""
    info = acms.ContentInfo.load(der)
    signer_info = info["content"]["signer_infos"][0]
    mutate(signer_info)
    return info.dump(force=True)
