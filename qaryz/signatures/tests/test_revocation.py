"""Revocation by OCSP with CRL fallback, failing closed (R-ONB-4, R-ONB-6, R-SIGN-1, R-AUTH-5).

The OCSP responder and CRL publisher are the project's own HTTP service for the test PKI,
listening on a free port, so the real HTTP client runs end to end."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from qaryz.signatures.adapters.embedded import EmbeddedRevocationChecker
from qaryz.signatures.ports import RevocationState
from qaryz.signatures.revocation import (
    RevocationError,
    build_ocsp_request,
    validate_crl,
    validate_ocsp_response,
)
from qaryz.signatures.testpki import leaf_certificate, new_rsa_key, self_signed_ca
from qaryz.signatures.verify import Reason, verify_cms

from .conftest import GOOD_IIN, Pki

CONTENT = b'{"purpose":"change_phone","nonce":"a1"}'
REQS = ("R-ONB-4", "R-ONB-6", "R-SIGN-1", "R-AUTH-5")


def closed_port_url() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there any more
    return f"http://127.0.0.1:{port}"


@pytest.mark.req(*REQS)
def test_revoked_certificate_is_refused_via_ocsp(test_pki: Pki) -> None:
    key = test_pki.fresh()
    cms = test_pki.pki.sign_with(key, CONTENT)
    before = test_pki.server.ocsp_requests
    assert verify_cms(
        cms, CONTENT, trust=test_pki.trust, revocation=test_pki.checker(), expected_iin=GOOD_IIN
    ).ok
    test_pki.pki.revoke(key.certificate)
    result = verify_cms(
        cms, CONTENT, trust=test_pki.trust, revocation=test_pki.checker(), expected_iin=GOOD_IIN
    )
    assert result.reason == Reason.REVOKED
    assert result.revocation is not None and result.revocation.source == "ocsp"
    assert test_pki.server.ocsp_requests == before + 2  # really asked over HTTP both times


@pytest.mark.req(*REQS)
def test_revoked_certificate_is_refused_via_crl_when_ocsp_is_down(test_pki: Pki) -> None:
    key = test_pki.fresh()
    test_pki.pki.revoke(key.certificate)
    cms = test_pki.pki.sign_with(key, CONTENT)
    test_pki.server.set_online(ocsp=False, crl=True)
    try:
        before = test_pki.server.crl_requests
        result = verify_cms(
            cms, CONTENT, trust=test_pki.trust, revocation=test_pki.checker(), expected_iin=GOOD_IIN
        )
    finally:
        test_pki.server.set_online()
    assert result.reason == Reason.REVOKED
    assert result.revocation is not None and result.revocation.source == "crl"
    assert test_pki.server.crl_requests == before + 1
    # Control: a good certificate passes on the CRL alone.
    good = test_pki.pki.sign(test_pki.good.label, CONTENT)
    test_pki.server.set_online(ocsp=False, crl=True)
    try:
        ok = verify_cms(
            good, CONTENT, trust=test_pki.trust, revocation=test_pki.checker(), expected_iin=GOOD_IIN
        )
    finally:
        test_pki.server.set_online()
    assert ok.ok and ok.revocation is not None and ok.revocation.source == "crl"


@pytest.mark.req(*REQS)
def test_responder_down_fails_closed_with_revocation_unknown(test_pki: Pki) -> None:
    cms = test_pki.pki.sign(test_pki.good.label, CONTENT)
    test_pki.server.set_online(ocsp=False, crl=False)
    try:
        result = verify_cms(
            cms, CONTENT, trust=test_pki.trust, revocation=test_pki.checker(), expected_iin=GOOD_IIN
        )
    finally:
        test_pki.server.set_online()
    assert not result.ok and result.reason == Reason.REVOCATION_UNKNOWN
    assert "OCSP" in result.detail and "CRL" in result.detail
    # Nothing listening at all (connection refused) is the same.
    dead = closed_port_url()
    refused = verify_cms(
        cms,
        CONTENT,
        trust=test_pki.trust,
        revocation=test_pki.checker(ocsp_url=f"{dead}/ocsp", crl_url=f"{dead}/crl"),
        expected_iin=GOOD_IIN,
    )
    assert refused.reason == Reason.REVOCATION_UNKNOWN


def _single(test_pki: Pki, der: bytes):  # type: ignore[no-untyped-def]
    return validate_ocsp_response(
        der,
        test_pki.good.certificate,
        test_pki.pki.intermediate,
        nonce=b"n" * 16,
        now=datetime.now(UTC),
        max_age=timedelta(days=1),
    )


def _request(test_pki: Pki, nonce: bytes = b"n" * 16) -> bytes:
    return build_ocsp_request(test_pki.good.certificate, test_pki.pki.intermediate, nonce)


@pytest.mark.req("R-AUTH-5")
def test_ocsp_response_checks_signer_nonce_and_freshness(test_pki: Pki) -> None:
    pki = test_pki.pki
    # Delegated responder (id-kp-OCSPSigning, issued by the CA): accepted.
    assert _single(test_pki, pki.ocsp_respond(_request(test_pki))).state == RevocationState.GOOD
    # The CA itself signing: accepted.
    ca_signed = pki.ocsp_respond(_request(test_pki), responder=(pki.intermediate, pki.key("intermediate")))
    assert _single(test_pki, ca_signed).state == RevocationState.GOOD
    # A responder certificate from another CA, or without id-kp-OCSPSigning: refused.
    rogue_ca, rogue_key = self_signed_ca("Rogue CA")
    now = datetime.now(UTC)
    rogue_responder_key = new_rsa_key()
    rogue_responder = leaf_certificate(
        pki.ocsp_cert.subject,
        rogue_responder_key.public_key(),
        rogue_ca,
        rogue_key,
        base_url=pki.base_url,
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=1),
        eku=[ExtendedKeyUsageOID.OCSP_SIGNING],
    )
    with pytest.raises(RevocationError, match="not signed by the CA"):
        _single(
            test_pki, pki.ocsp_respond(_request(test_pki), responder=(rogue_responder, rogue_responder_key))
        )
    client = test_pki.other
    with pytest.raises(RevocationError, match="not signed by the CA"):
        _single(
            test_pki, pki.ocsp_respond(_request(test_pki), responder=(client.certificate, client.private_key))
        )
    # Replayed answer (another nonce), stale answer, answer from the future: refused.
    with pytest.raises(RevocationError, match="nonce"):
        _single(test_pki, pki.ocsp_respond(_request(test_pki), nonce=b"x" * 16))
    with pytest.raises(RevocationError, match="stale"):
        _single(
            test_pki,
            pki.ocsp_respond(
                _request(test_pki), this_update=now - timedelta(days=3), next_update=now - timedelta(days=2)
            ),
        )
    with pytest.raises(RevocationError, match="future"):
        _single(
            test_pki,
            pki.ocsp_respond(
                _request(test_pki), this_update=now + timedelta(hours=1), next_update=now + timedelta(hours=2)
            ),
        )
    # An answer about another certificate: refused.
    other_request = build_ocsp_request(test_pki.other.certificate, pki.intermediate, b"n" * 16)
    with pytest.raises(RevocationError, match="does not answer"):
        _single(test_pki, pki.ocsp_respond(other_request))
    # A tampered response: refused.
    good = bytearray(pki.ocsp_respond(_request(test_pki)))
    tbs = ocsp.load_der_ocsp_response(bytes(good)).tbs_response_bytes
    offset = bytes(good).index(tbs) + len(tbs) - 5
    good[offset] ^= 0x01
    with pytest.raises(RevocationError):
        _single(test_pki, bytes(good))


def test_crl_must_be_signed_by_the_ca_and_current(test_pki: Pki) -> None:
    pki = test_pki.pki
    now = datetime.now(UTC)
    assert (
        validate_crl(pki.crl(), test_pki.good.certificate, pki.intermediate, now=now).state
        == RevocationState.GOOD
    )
    with pytest.raises(RevocationError, match="stale"):
        validate_crl(
            pki.crl(now=now - timedelta(days=3)), test_pki.good.certificate, pki.intermediate, now=now
        )
    with pytest.raises(RevocationError, match="another CA"):
        validate_crl(pki.crl(), test_pki.good.certificate, pki.root, now=now)


def test_unknown_certificate_is_not_good(test_pki: Pki) -> None:
    stranger_key = new_rsa_key()
    now = datetime.now(UTC)
    # Signed by our intermediate but never recorded as issued: the responder says "unknown".
    stranger = leaf_certificate(
        test_pki.good.certificate.subject,
        stranger_key.public_key(),
        test_pki.pki.intermediate,
        test_pki.pki.key("intermediate"),
        base_url=test_pki.pki.base_url,
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=1),
    )
    der = test_pki.pki.ocsp_respond(build_ocsp_request(stranger, test_pki.pki.intermediate, b"n" * 16))
    with pytest.raises(RevocationError, match="does not know"):
        validate_ocsp_response(
            der, stranger, test_pki.pki.intermediate, nonce=b"n" * 16, now=now, max_age=timedelta(days=1)
        )


def test_answers_are_cached_until_the_cache_expires(test_pki: Pki) -> None:
    checker = test_pki.checker()
    checker.cache_seconds = 300
    now = datetime.now(UTC)
    before = test_pki.server.ocsp_requests
    first = checker.check(test_pki.good.certificate, test_pki.pki.intermediate, now=now)
    second = checker.check(
        test_pki.good.certificate, test_pki.pki.intermediate, now=now + timedelta(seconds=10)
    )
    third = checker.check(
        test_pki.good.certificate, test_pki.pki.intermediate, now=now + timedelta(seconds=400)
    )
    assert (first.from_cache, second.from_cache, third.from_cache) == (False, True, False)
    assert test_pki.server.ocsp_requests == before + 2


@pytest.mark.req(*REQS)
def test_embedded_in_process_checker_sees_the_same_revocations(test_pki: Pki) -> None:
    key = test_pki.fresh()
    cms = test_pki.pki.sign_with(key, CONTENT)
    checker = EmbeddedRevocationChecker(test_pki.directory, cache_seconds=0)
    assert verify_cms(cms, CONTENT, trust=test_pki.trust, revocation=checker, expected_iin=GOOD_IIN).ok
    test_pki.pki.revoke(key.certificate)
    assert (
        verify_cms(cms, CONTENT, trust=test_pki.trust, revocation=checker, expected_iin=GOOD_IIN).reason
        == Reason.REVOKED
    )


def test_responder_serves_the_intermediate_and_refuses_junk(test_pki: Pki) -> None:
    import httpx

    cer = httpx.get(f"{test_pki.server.url}/ca/intermediate.cer", timeout=3)
    assert cer.content == test_pki.pki.intermediate.public_bytes(serialization.Encoding.DER)
    junk = httpx.post(f"{test_pki.server.url}/ocsp", content=b"junk", timeout=3)
    assert (
        ocsp.load_der_ocsp_response(junk.content).response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    )
    assert hashes.SHA256


def test_crl_is_downloaded_again_only_after_its_next_update(test_pki: Pki) -> None:
    checker = test_pki.checker()
    now = datetime.now(UTC)
    test_pki.server.set_online(ocsp=False, crl=True)
    try:
        before = test_pki.server.crl_requests
        for key in (test_pki.good, test_pki.other):
            status = checker.check(key.certificate, test_pki.pki.intermediate, now=now)
            assert status.state == RevocationState.GOOD and status.source == "crl"
        assert test_pki.server.crl_requests == before + 1
        later = checker.check(
            test_pki.good.certificate, test_pki.pki.intermediate, now=now + timedelta(days=2)
        )
    finally:
        test_pki.server.set_online()
    # Past nextUpdate the CRL is fetched again; the publisher's CRL is then stale too: fail closed.
    assert test_pki.server.crl_requests == before + 2
    assert later.state == RevocationState.UNKNOWN and "stale" in later.detail


@pytest.mark.req(*REQS)
def test_timestamp_from_a_revoked_tsa_is_refused(tmp_path) -> None:
    """A PKI of its own: revoking its TSA would break the session's shared test PKI."""
    from qaryz.signatures.adapters.embedded import TestPkiServer
    from qaryz.signatures.adapters.http import HttpRevocationChecker
    from qaryz.signatures.cms import sign_cms, signature_value
    from qaryz.signatures.testpki import TestPki
    from qaryz.signatures.verify import TrustStore

    server = TestPkiServer(tmp_path).start()
    try:
        pki = TestPki.create(tmp_path, base_url=server.url)
        key = pki.issue_client(iin=GOOD_IIN, surname="САПАРОВ", given_name="АСКАР")
        signed_at = datetime.now(UTC).replace(microsecond=0)

        def signed(token: bytes | None = None) -> bytes:
            return sign_cms(
                CONTENT,
                key.certificate,
                key.private_key,
                extra_certificates=[pki.intermediate],
                signing_time=signed_at,
                timestamp_token=token,
            )

        token = pki.timestamp_token(signature_value(signed()), gen_time=signed_at - timedelta(seconds=5))
        stamped = signed(token)
        trust = TrustStore([pki.root])

        def verify():  # type: ignore[no-untyped-def]
            checker = HttpRevocationChecker(cache_seconds=0, timeout=3)
            return verify_cms(stamped, CONTENT, trust=trust, revocation=checker, expected_iin=GOOD_IIN)

        ok = verify()
        assert ok.ok and ok.signing_time_source == "timestamp", ok.detail
        pki.revoke(pki.tsa_cert)
        refused = verify()
        assert refused.reason == Reason.REVOKED and "timestamp authority" in refused.detail
    finally:
        server.stop()


@pytest.mark.req(*REQS)
def test_intermediate_ca_revocation_is_checked_and_fails_closed(tmp_path) -> None:
    """A PKI of its own: revoking its intermediate would break the session's shared test PKI."""
    from qaryz.signatures.adapters.embedded import TestPkiServer
    from qaryz.signatures.adapters.http import HttpRevocationChecker
    from qaryz.signatures.testpki import TestPki
    from qaryz.signatures.verify import TrustStore

    server = TestPkiServer(tmp_path).start()
    try:
        pki = TestPki.create(tmp_path, base_url=server.url)
        key = pki.issue_client(iin=GOOD_IIN, surname="САПАРОВ", given_name="АСКАР")
        cms = pki.sign(key.label, CONTENT)
        trust = TrustStore([pki.root])

        def verify(checker):  # type: ignore[no-untyped-def]
            return verify_cms(cms, CONTENT, trust=trust, revocation=checker, expected_iin=GOOD_IIN)

        assert verify(HttpRevocationChecker(cache_seconds=0, timeout=3)).ok
        # The leaf is answered by OCSP; the intermediate only by the root's CRL – down means fail closed.
        server.set_online(ocsp=True, crl=False)
        down = verify(HttpRevocationChecker(cache_seconds=0, timeout=3))
        assert down.reason == Reason.REVOCATION_UNKNOWN and "issuing CA" in down.detail
        server.set_online()
        pki.revoke(pki.intermediate)
        revoked = verify(HttpRevocationChecker(cache_seconds=0, timeout=3))
        assert revoked.reason == Reason.REVOKED and "issuing CA" in revoked.detail
        # The demo's in-process checker reads the same root CRL.
        assert verify(EmbeddedRevocationChecker(tmp_path, cache_seconds=0)).reason == Reason.REVOKED
    finally:
        server.stop()
