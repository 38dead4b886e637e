"""GOST 2015 (GOST R 34.10-2012 + Streebog) CMS through the same verification path as RSA (R-ONB-4,
R-ONB-6, R-SIGN-1): accept, and every refusal reason, with certificates of the GOST test PKI and its
OCSP/CRL service over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import cms as acms

from qaryz.signatures import gost
from qaryz.signatures.cms import parse_signed_data, sign_cms
from qaryz.signatures.gostx509 import GostPrivateKey, gost_key
from qaryz.signatures.revocation import (
    RevocationError,
    build_ocsp_request,
    validate_crl,
    validate_ocsp_response,
)
from qaryz.signatures.testpki_gost import GostTestPki, gost_certificate
from qaryz.signatures.verify import Reason, TrustStore, verify_cms

from .conftest import ENTITY_BIN, GOOD_IIN, OTHER_IIN, SIGNER_IIN, GostPki, Pki

CONTENT = '{"document":"Договор микрокредита № 1","nonce":"3f1c"}'.encode()
REQS = ("R-ONB-4", "R-ONB-6", "R-SIGN-1")


def resign_with(der: bytes, mutate) -> bytes:  # type: ignore[no-untyped-def]
    """Change the SignerInfo and re-encode without forcing (asn1crypto cannot re-encode GOST keys)."""
    info = acms.ContentInfo.load(der)
    mutate(info["content"]["signer_infos"][0])
    return info.dump()


def verify(pki: Pki, cms: bytes | str, content: bytes = CONTENT, **kwargs):  # type: ignore[no-untyped-def]
    kwargs.setdefault("revocation", pki.checker())
    kwargs.setdefault("expected_iin", GOOD_IIN)
    return verify_cms(cms, content, trust=pki.trust, **kwargs)


@pytest.mark.req(*REQS)
@pytest.mark.parametrize("detached", [True, False], ids=["detached", "attached"])
def test_gost_512_signature_is_accepted_with_chain_and_ocsp(gost_pki: GostPki, detached: bool) -> None:
    cms = gost_pki.pki.sign(gost_pki.good.label, CONTENT, detached=detached)
    parsed = parse_signed_data(cms)
    assert parsed.digest_algorithm == "streebog512"
    assert parsed.signature_algorithm_oid == gost.OID_SIGN_512
    assert len(parsed.signature) == 128
    result = verify(gost_pki, cms)
    assert result.ok, result.detail
    assert result.attached is (not detached)
    assert result.signer is not None and result.signer.iin == GOOD_IIN and result.signer.surname == "САПАРОВ"
    assert [c.subject for c in result.chain] == [
        gost_pki.good.certificate.subject,
        gost_pki.pki.intermediate.subject,
        gost_pki.pki.root.subject,
    ]
    assert result.revocation is not None and result.revocation.source == "ocsp"
    assert result.as_dict()["digest_algorithm"] == "streebog512"


@pytest.mark.req(*REQS)
def test_gost_256_key_signature_is_accepted(gost_pki: GostPki) -> None:
    assert gost_pki.good_256 is not None
    key = gost_key(gost_pki.good_256.certificate)
    assert key is not None and key.key_oid == gost.OID_KEY_256 and key.paramset == gost.PARAMSET_256_A
    cms = gost_pki.pki.sign(gost_pki.good_256.label, CONTENT)
    assert parse_signed_data(cms).digest_algorithm == "streebog256"
    result = verify(gost_pki, cms)
    assert result.ok, result.detail


@pytest.mark.req(*REQS)
def test_gost_certificate_carries_the_rfc_9215_key_encoding(gost_pki: GostPki) -> None:
    """SPKI: id-tc26-gost3410-12-512 with paramSetA; the key is OCTET STRING x||y little-endian."""
    from qaryz.signatures.gostx509 import _GostKeyParams, _Spki, spki_der

    spki = _Spki.load(spki_der(gost_pki.good.certificate))
    assert spki["algorithm"]["algorithm"].dotted == gost.OID_KEY_512
    params = _GostKeyParams.load(spki["algorithm"]["parameters"].dump())
    assert params["public_key_param_set"].dotted == gost.PARAMSET_512_A
    assert gost_pki.good.certificate.signature_algorithm_oid.dotted_string == gost.OID_SIGN_512
    key = gost_key(gost_pki.good.certificate)
    assert key is not None
    raw = spki["public_key"].native
    assert raw[:3] == bytes.fromhex("048180")  # OCTET STRING of 128 bytes inside the BIT STRING
    assert raw[3:] == key.point[0].to_bytes(64, "little") + key.point[1].to_bytes(64, "little")


@pytest.mark.req(*REQS)
def test_gost_tampered_signature_and_attributes_are_bad_signatures(gost_pki: GostPki) -> None:
    cms = gost_pki.pki.sign(
        gost_pki.good.label, CONTENT, signing_time=datetime.now(UTC) - timedelta(minutes=1)
    )

    def flip(signer_info):  # type: ignore[no-untyped-def]
        value = bytearray(signer_info["signature"].native)
        value[10] ^= 0x01
        signer_info["signature"] = bytes(value)

    assert verify(gost_pki, resign_with(cms, flip)).reason == Reason.BAD_SIGNATURE

    def swap_halves(signer_info):  # type: ignore[no-untyped-def]  # r || s instead of s || r
        value = signer_info["signature"].native
        signer_info["signature"] = value[64:] + value[:64]

    assert verify(gost_pki, resign_with(cms, swap_halves)).reason == Reason.BAD_SIGNATURE

    def change_time(signer_info):  # type: ignore[no-untyped-def]
        for attr in signer_info["signed_attrs"]:
            if attr["type"].native == "signing_time":
                attr["values"] = [acms.Time({"utc_time": datetime.now(UTC).replace(microsecond=0)})]

    assert verify(gost_pki, resign_with(cms, change_time)).reason == Reason.BAD_SIGNATURE


@pytest.mark.req(*REQS)
def test_gost_signature_of_other_content_is_a_content_mismatch(gost_pki: GostPki) -> None:
    detached = gost_pki.pki.sign(gost_pki.good.label, b"something else")
    assert verify(gost_pki, detached).reason == Reason.CONTENT_MISMATCH
    attached = gost_pki.pki.sign(gost_pki.good.label, b"something else", detached=False)
    assert verify(gost_pki, attached).reason == Reason.CONTENT_MISMATCH
    assert verify(gost_pki, detached, content=b"something else").ok


@pytest.mark.req(*REQS)
def test_gost_lookalike_chain_and_foreign_roots_are_untrusted(
    gost_pki: GostPki, test_pki: Pki, tmp_path
) -> None:
    """A self-made GOST PKI copying the real names; and the RSA root does not vouch for GOST keys."""
    fake = GostTestPki.create(tmp_path / "fake", base_url=gost_pki.pki.base_url)
    assert fake.root.subject == gost_pki.pki.root.subject  # same names, other keys
    key = fake.issue_client(iin=GOOD_IIN, surname="САПАРОВ", given_name="АСКАР")
    result = verify(gost_pki, fake.sign_with(key, CONTENT))
    assert result.reason == Reason.UNTRUSTED_CHAIN, result.detail
    cms = gost_pki.pki.sign(gost_pki.good.label, CONTENT)
    assert verify_cms(cms, CONTENT, trust=test_pki.trust, revocation=None).reason == Reason.UNTRUSTED_CHAIN
    # Both roots trusted side by side: each chain finds its own.
    both = TrustStore([test_pki.pki.root, gost_pki.pki.root])
    assert verify_cms(cms, CONTENT, trust=both, revocation=gost_pki.checker()).ok
    rsa = test_pki.pki.sign(test_pki.good.label, CONTENT)
    assert verify_cms(rsa, CONTENT, trust=both, revocation=test_pki.checker()).ok


@pytest.mark.req(*REQS)
def test_gost_expired_not_yet_valid_and_encryption_keys_are_refused(gost_pki: GostPki) -> None:
    assert verify(gost_pki, gost_pki.pki.sign("expired", CONTENT)).reason == Reason.EXPIRED
    assert verify(gost_pki, gost_pki.pki.sign("future", CONTENT)).reason == Reason.NOT_YET_VALID
    assert verify(gost_pki, gost_pki.pki.sign("encryption-only", CONTENT)).reason == Reason.WRONG_KEY_USAGE


@pytest.mark.req(*REQS)
def test_gost_iin_and_bin_binding(gost_pki: GostPki) -> None:
    other = gost_pki.pki.sign(gost_pki.other.label, CONTENT)
    assert verify(gost_pki, other).reason == Reason.IIN_MISMATCH
    assert verify(gost_pki, other, expected_iin=OTHER_IIN).ok
    entity = gost_pki.pki.sign(gost_pki.entity_signer.label, CONTENT)
    ok = verify(gost_pki, entity, expected_iin=SIGNER_IIN, expected_bin=ENTITY_BIN)
    assert ok.ok, ok.detail
    assert ok.signer is not None and ok.signer.bin == ENTITY_BIN and ok.signer.organisation == "ТОО «Тест»"
    assert (
        verify(gost_pki, entity, expected_iin=SIGNER_IIN, expected_bin="000000000000").reason
        == Reason.BIN_MISMATCH
    )


@pytest.mark.req(*REQS)
def test_gost_revoked_via_ocsp_then_via_crl_and_unknown_when_both_are_down(gost_pki: GostPki) -> None:
    key = gost_pki.fresh()
    cms = gost_pki.pki.sign_with(key, CONTENT)
    assert verify(gost_pki, cms).ok
    gost_pki.pki.revoke(key.certificate)
    result = verify(gost_pki, cms)
    assert result.reason == Reason.REVOKED and result.revocation is not None
    assert result.revocation.source == "ocsp"
    gost_pki.server.set_online(ocsp=False, crl=True)
    try:
        by_crl = verify(gost_pki, cms)
        good_by_crl = verify(gost_pki, gost_pki.pki.sign(gost_pki.good.label, CONTENT))
    finally:
        gost_pki.server.set_online()
    assert by_crl.reason == Reason.REVOKED and by_crl.revocation is not None
    assert by_crl.revocation.source == "crl"
    assert good_by_crl.ok and good_by_crl.revocation is not None and good_by_crl.revocation.source == "crl"
    gost_pki.server.set_online(ocsp=False, crl=False)
    try:
        unknown = verify(gost_pki, gost_pki.pki.sign(gost_pki.good.label, CONTENT))
    finally:
        gost_pki.server.set_online()
    assert unknown.reason == Reason.REVOCATION_UNKNOWN


@pytest.mark.req("R-AUTH-5")
def test_gost_ocsp_and_crl_signatures_are_checked(gost_pki: GostPki, tmp_path) -> None:
    pki = gost_pki.pki
    request = build_ocsp_request(gost_pki.good.certificate, pki.intermediate, b"n" * 16)
    now = datetime.now(UTC)

    def single(der: bytes):  # type: ignore[no-untyped-def]
        return validate_ocsp_response(
            der,
            gost_pki.good.certificate,
            pki.intermediate,
            nonce=b"n" * 16,
            now=now,
            max_age=timedelta(days=1),
        )

    assert single(pki.ocsp_respond(request)).state.name == "GOOD"
    # signed by the CA itself: accepted
    ca_signed = pki.ocsp_respond(request, responder=(pki.intermediate, pki.key("intermediate")))
    assert single(ca_signed).state.name == "GOOD"
    # a responder certificate of another CA (same names): refused
    fake = GostTestPki.create(tmp_path / "fake", base_url=pki.base_url)
    with pytest.raises(RevocationError):
        single(fake.ocsp_respond(request))
    # the right responder certificate but another key: the signature does not verify
    with pytest.raises(RevocationError, match="signature"):
        single(pki.ocsp_respond(request, responder=(pki.ocsp_cert, fake.key("ocsp"))))
    with pytest.raises(RevocationError, match="nonce"):
        single(pki.ocsp_respond(request, nonce=b"x" * 16))
    # CRL: the CA's is good; the look-alike CA's is refused
    assert validate_crl(pki.crl(), gost_pki.good.certificate, pki.intermediate, now=now).state.name == "GOOD"
    with pytest.raises(RevocationError, match="signature"):
        validate_crl(fake.crl(), gost_pki.good.certificate, pki.intermediate, now=now)


@pytest.mark.req(*REQS)
def test_gost_digest_must_fit_the_key(gost_pki: GostPki) -> None:
    """A 512-bit key's signature declared with Streebog-256, or with an RSA algorithm, is not accepted."""
    cms = gost_pki.pki.sign(gost_pki.good.label, CONTENT)

    def to_256(signer_info):  # type: ignore[no-untyped-def]
        signer_info["digest_algorithm"] = {"algorithm": gost.OID_DIGEST_256}

    assert verify(gost_pki, resign_with(cms, to_256)).reason == Reason.UNSUPPORTED_ALGORITHM

    def to_sign_256(signer_info):  # type: ignore[no-untyped-def]
        signer_info["digest_algorithm"] = {"algorithm": gost.OID_DIGEST_256}
        signer_info["signature_algorithm"] = {"algorithm": gost.OID_SIGN_256}

    assert verify(gost_pki, resign_with(cms, to_sign_256)).reason == Reason.BAD_SIGNATURE

    def to_rsa(signer_info):  # type: ignore[no-untyped-def]
        signer_info["digest_algorithm"] = {"algorithm": "sha256"}
        signer_info["signature_algorithm"] = {"algorithm": "sha256_rsa"}

    result = verify(gost_pki, resign_with(cms, to_rsa))
    assert result.reason == Reason.BAD_SIGNATURE and "does not fit the GOST key" in result.detail


@pytest.mark.req(*REQS)
def test_nca_kz_signature_and_digest_oids_are_accepted(gost_pki: GostPki) -> None:
    """Kalkan writes NCA's own arc (1.2.398.3.10.1.1.2.3.2 / 1.2.398.3.10.1.3.3) for the same algorithm."""
    key = gost_pki.good
    cms = sign_cms(CONTENT, key.certificate, key.private_key, extra_certificates=[gost_pki.pki.intermediate])
    # re-sign with the KZ identifiers: the signature covers only the signed attributes
    info = acms.ContentInfo.load(cms)
    signer_info = info["content"]["signer_infos"][0]
    signer_info["digest_algorithm"] = {"algorithm": gost.KZ_DIGEST_512}
    signer_info["signature_algorithm"] = {"algorithm": gost.KZ_SIGN_512}
    assert verify(gost_pki, info.dump()).ok


@pytest.mark.req(*REQS)
def test_gost_34_310_2004_is_refused_by_name(gost_pki: GostPki) -> None:
    """GOST 34.310-2004 / GOST 34.311-95: parameters not public, so a clear refusal naming it."""
    cms = gost_pki.pki.sign(gost_pki.good.label, CONTENT)

    def to_2004(signer_info):  # type: ignore[no-untyped-def]
        signer_info["digest_algorithm"] = {"algorithm": gost.KZ_GOST_34311_95}
        signer_info["signature_algorithm"] = {"algorithm": gost.KZ_GOST_2004_SIGN}

    result = verify(gost_pki, resign_with(cms, to_2004))
    assert result.reason == Reason.UNSUPPORTED_ALGORITHM
    assert "GOST 34.310-2004" in result.detail


@pytest.mark.req(*REQS)
def test_gost_timestamp_token_gives_the_signing_time(gost_pki: GostPki) -> None:
    pki = gost_pki.pki
    when = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=2)
    plain = pki.sign(gost_pki.good.label, CONTENT)
    # the TSA (a GOST certificate) stamps this very signature value
    info = acms.ContentInfo.load(plain)
    signer_info = info["content"]["signer_infos"][0]
    token = pki.timestamp_token(signer_info["signature"].native, gen_time=when)
    signer_info["unsigned_attrs"] = acms.CMSAttributes(
        [acms.CMSAttribute({"type": "signature_time_stamp_token", "values": [acms.ContentInfo.load(token)]})]
    )
    stamped = verify(gost_pki, info.dump())
    assert stamped.ok, stamped.detail
    assert stamped.signing_time_source == "timestamp" and stamped.signing_time == when
    # imprints: Streebog-256 (default of the GOST TSA), NCA's Streebog-512 OID, SHA-256
    for digest_oid in (gost.KZ_DIGEST_512, "sha256"):
        token = pki.timestamp_token(signer_info["signature"].native, gen_time=when, digest_oid=digest_oid)
        signer_info["unsigned_attrs"] = acms.CMSAttributes(
            [
                acms.CMSAttribute(
                    {"type": "signature_time_stamp_token", "values": [acms.ContentInfo.load(token)]}
                )
            ]
        )
        again = verify(gost_pki, info.dump())
        assert again.ok and again.signing_time_source == "timestamp", (digest_oid, again.detail)
    other_value = pki.timestamp_token(b"another signature", gen_time=when)
    signer_info["unsigned_attrs"] = acms.CMSAttributes(
        [
            acms.CMSAttribute(
                {"type": "signature_time_stamp_token", "values": [acms.ContentInfo.load(other_value)]}
            )
        ]
    )
    assert verify(gost_pki, info.dump()).reason == Reason.BAD_SIGNATURE


@pytest.mark.req(*REQS)
def test_gost_test_pki_reopens_from_disk(gost_pki: GostPki) -> None:
    from qaryz.signatures.testpki_gost import open_test_pki

    again = open_test_pki(gost_pki.directory)
    assert isinstance(again, GostTestPki)
    key = again.client_key(gost_pki.good.label)
    assert key is not None and isinstance(key.private_key, GostPrivateKey)
    assert verify(gost_pki, again.sign(key.label, CONTENT)).ok
    cert = gost_certificate(
        gost_pki.good.certificate.subject,
        key.private_key.public_key(),
        again.intermediate.subject,
        again.key("intermediate"),
        not_before=datetime.now(UTC) - timedelta(days=1),
        not_after=datetime.now(UTC) + timedelta(days=1),
        ca=False,
    )
    assert gost_key(cert) == key.private_key.public_key()


@pytest.mark.req(*REQS)
def test_gost_certificate_whose_length_ends_in_0x80_survives_re_encoding(gost_pki: GostPki) -> None:
    """asn1crypto takes a definite length ending in byte 0x80 for an indefinite one and re-encodes the
    value, which once failed on GOST keys: find such a certificate, sign with it, timestamp it, verify."""
    from cryptography.hazmat.primitives.serialization import Encoding

    key = None
    n = 1
    for _attempt in range(20):  # each character of O adds one byte: aim at the length directly
        candidate = gost_pki.pki.issue_client(
            iin=GOOD_IIN, surname="САПАРОВ", given_name="АСКАР", organisation="A" * n, store=False
        )
        der = candidate.certificate.public_bytes(Encoding.DER)
        assert der[1] == 0x82
        if der[3] == 0x80:
            key = candidate
            break
        n += (0x80 - der[3]) % 256 or 1
    assert key is not None
    assert acms.ContentInfo.load(gost_pki.pki.sign_with(key, CONTENT)).dump(force=True)
    cms = gost_pki.pki.sign_with(key, CONTENT, detached=False)
    assert verify(gost_pki, cms).ok
    info = acms.ContentInfo.load(cms)
    signer_info = info["content"]["signer_infos"][0]
    token = gost_pki.pki.timestamp_token(signer_info["signature"].native)
    signer_info["unsigned_attrs"] = acms.CMSAttributes(
        [acms.CMSAttribute({"type": "signature_time_stamp_token", "values": [acms.ContentInfo.load(token)]})]
    )
    assert verify(gost_pki, info.dump(force=True)).ok


@pytest.mark.req(*REQS)
def test_trust_store_precomputes_its_gost_ca_keys_at_load(gost_pki: GostPki) -> None:
    """The root's and a configured intermediate's keys get fixed-base tables when the store is built;
    a CMS-supplied intermediate does not, and both paths verify the same signature."""
    pki = gost_pki.pki
    root_key, inter_key = gost_key(pki.root), gost_key(pki.intermediate)
    assert root_key is not None and inter_key is not None
    gost._key_tables.pop((inter_key.curve.name, *inter_key.point), None)
    TrustStore([pki.root])
    assert (root_key.curve.name, *root_key.point) in gost._key_tables
    assert (inter_key.curve.name, *inter_key.point) not in gost._key_tables
    cms = pki.sign(gost_pki.good.label, CONTENT)
    assert verify(gost_pki, cms).ok
    trust = TrustStore([pki.root], [pki.intermediate])
    assert (inter_key.curve.name, *inter_key.point) in gost._key_tables
    assert trust.known_link(pki.intermediate, pki.root)  # its signature checked once, at load
    from qaryz.signatures import gostx509

    gostx509._certificate_signature_ok.cache_clear()  # verify the certificates again, now with the table
    kwargs = {"trust": trust, "revocation": gost_pki.checker(), "expected_iin": GOOD_IIN}
    assert verify_cms(cms, CONTENT, **kwargs).ok
    tampered = bytearray(cms)
    tampered[-5] ^= 1  # inside the signature value (the last field of the SignerInfo)
    assert verify_cms(bytes(tampered), CONTENT, **kwargs).reason == Reason.BAD_SIGNATURE


@pytest.mark.req(*REQS)
def test_configured_intermediate_of_a_look_alike_root_is_not_a_known_link(
    gost_pki: GostPki, tmp_path
) -> None:
    """Another GOST PKI with the same names: its intermediate configured beside our root is neither
    pre-verified at load nor accepted in a chain."""
    impostor = GostTestPki.create(tmp_path / "impostor")
    assert impostor.intermediate.issuer == gost_pki.pki.root.subject
    trust = TrustStore([gost_pki.pki.root], [impostor.intermediate])
    assert not trust.known_link(impostor.intermediate, gost_pki.pki.root)
    key = impostor.issue_client(iin=GOOD_IIN, surname="САПАРОВ", given_name="АСКАР", store=False)
    cms = impostor.sign_with(key, CONTENT)
    result = verify_cms(cms, CONTENT, trust=trust, revocation=None, expected_iin=GOOD_IIN)
    assert result.reason == Reason.UNTRUSTED_CHAIN
