"""Server-side CMS verification (R-ONB-4, R-ONB-6, R-SIGN-1): signature, content, chain, time,
key usage, identity binding and algorithms – on the pure verifier with the real HTTP OCSP client."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from qaryz.signatures.cms import decode_input, sign_cms, signature_value
from qaryz.signatures.subject import nca_subject, parse_subject
from qaryz.signatures.testpki import TestPki, leaf_certificate, self_signed_ca
from qaryz.signatures.verify import Reason, verify_cms

from .conftest import ENTITY_BIN, GOOD_IIN, OTHER_IIN, SIGNER_IIN, Pki, resign_with

CONTENT = '{"document":"Договор микрокредита № 1","nonce":"3f1c"}'.encode()
REQS = ("R-ONB-4", "R-ONB-6", "R-SIGN-1")


def verify(pki: Pki, cms: bytes | str, content: bytes = CONTENT, **kwargs):  # type: ignore[no-untyped-def]
    kwargs.setdefault("revocation", pki.checker())
    kwargs.setdefault("expected_iin", GOOD_IIN)
    return verify_cms(cms, content, trust=pki.trust, **kwargs)


@pytest.mark.req(*REQS)
def test_known_good_detached_signature_is_accepted_with_ocsp_proof(test_pki: Pki) -> None:
    cms = test_pki.pki.sign(test_pki.good.label, CONTENT)
    result = verify(test_pki, cms)
    assert result.ok, result.detail
    assert result.reason == ""
    assert result.signer is not None and result.signer.iin == GOOD_IIN
    assert result.signer.surname == "САПАРОВ" and result.signer.country == "KZ"
    assert [c.subject for c in result.chain] == [
        test_pki.good.certificate.subject,
        test_pki.pki.intermediate.subject,
        test_pki.pki.root.subject,
    ]
    assert result.revocation is not None and result.revocation.source == "ocsp"
    assert result.revocation.ocsp_response  # kept with the signature
    assert result.signing_time_source == "signing_time"
    assert result.as_dict()["certificate"]["serial"] == f"{test_pki.good.certificate.serial_number:x}"


@pytest.mark.req(*REQS)
def test_attached_base64_and_pem_forms_as_ncalayer_returns_them(test_pki: Pki) -> None:
    der = test_pki.pki.sign(test_pki.good.label, CONTENT, detached=False)
    b64 = base64.b64encode(der).decode()
    pem = (
        "-----BEGIN CMS-----\n"
        + "\n".join(b64[i : i + 64] for i in range(0, len(b64), 64))
        + "\n-----END CMS-----\n"
    )
    for form in (der, b64, pem, b64.encode()):
        result = verify(test_pki, form)
        assert result.ok, result.detail
        assert result.attached


@pytest.mark.req(*REQS)
def test_tampered_signature_value_is_rejected(test_pki: Pki) -> None:
    cms = test_pki.pki.sign(test_pki.good.label, CONTENT)

    def flip(signer_info):  # type: ignore[no-untyped-def]
        value = bytearray(signer_info["signature"].native)
        value[10] ^= 0x01
        signer_info["signature"] = bytes(value)

    result = verify(test_pki, resign_with(cms, flip))
    assert not result.ok and result.reason == Reason.BAD_SIGNATURE


@pytest.mark.req(*REQS)
def test_tampered_signed_attributes_are_rejected(test_pki: Pki) -> None:
    cms = test_pki.pki.sign(
        test_pki.good.label, CONTENT, signing_time=datetime.now(UTC) - timedelta(minutes=1)
    )

    def change_time(signer_info):  # type: ignore[no-untyped-def]
        for attr in signer_info["signed_attrs"]:
            if attr["type"].native == "signing_time":
                from asn1crypto import cms as acms

                attr["values"] = [acms.Time({"utc_time": datetime.now(UTC).replace(microsecond=0)})]

    result = verify(test_pki, resign_with(cms, change_time))
    assert result.reason == Reason.BAD_SIGNATURE


@pytest.mark.req(*REQS)
def test_signature_of_other_content_is_a_content_mismatch(test_pki: Pki) -> None:
    detached = test_pki.pki.sign(test_pki.good.label, b"something else")
    r = verify(test_pki, detached)
    assert r.reason == Reason.CONTENT_MISMATCH, r.detail
    attached = test_pki.pki.sign(test_pki.good.label, b"something else", detached=False)
    assert verify(test_pki, attached).reason == Reason.CONTENT_MISMATCH
    # Control: the same signatures verify against the content they were made for.
    assert verify(test_pki, detached, content=b"something else").ok


@pytest.mark.req(*REQS)
def test_fake_ncalayer_chain_with_lookalike_names_is_untrusted(test_pki: Pki) -> None:
    """A self-made root and intermediate copying the real names (what fake "NCALayer" tools do)."""
    real = test_pki.pki
    fake_root, fake_root_key = self_signed_ca(
        real.root.subject.get_attributes_for_oid(__import__("cryptography").x509.oid.NameOID.COMMON_NAME)[
            0
        ].value
    )
    from cryptography import x509

    from qaryz.signatures.testpki import _ca_certificate, new_rsa_key

    now = datetime.now(UTC)
    fake_inter_key = new_rsa_key()
    fake_inter = _ca_certificate(
        real.intermediate.subject,
        fake_inter_key,
        fake_root.subject,
        fake_root_key,
        path_length=0,
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=30),
    )
    leaf_key = new_rsa_key()
    leaf = leaf_certificate(
        nca_subject(iin=GOOD_IIN, surname="САПАРОВ", given_name="АСКАР"),
        leaf_key.public_key(),
        fake_inter,
        fake_inter_key,
        base_url=real.base_url,
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=30),
    )
    assert leaf.issuer == real.intermediate.subject  # looks exactly like ours by name
    cms = sign_cms(CONTENT, leaf, leaf_key, extra_certificates=[fake_inter, fake_root])
    result = verify(test_pki, cms)
    assert not result.ok and result.reason == Reason.UNTRUSTED_CHAIN
    assert isinstance(leaf, x509.Certificate)
    # Without the fake intermediate in the CMS the chain cannot be built either.
    assert verify(test_pki, sign_cms(CONTENT, leaf, leaf_key)).reason == Reason.UNTRUSTED_CHAIN


@pytest.mark.req(*REQS)
def test_expired_and_not_yet_valid_certificates_are_rejected(test_pki: Pki) -> None:
    assert verify(test_pki, test_pki.pki.sign("expired", CONTENT)).reason == Reason.EXPIRED
    assert verify(test_pki, test_pki.pki.sign("future", CONTENT)).reason == Reason.NOT_YET_VALID


@pytest.mark.req(*REQS)
def test_backdated_signing_time_outside_the_request_window_is_refused(test_pki: Pki) -> None:
    """An expired key cannot claim a signingTime from when it was valid: the request window bounds it."""
    long_ago = datetime.now(UTC) - timedelta(days=200)
    cms = test_pki.pki.sign("expired", CONTENT, signing_time=long_ago)
    now = datetime.now(UTC)
    result = verify(test_pki, cms, window=(now - timedelta(minutes=10), now + timedelta(minutes=5)))
    assert result.reason == Reason.EXPIRED_REQUEST
    # Control: the same back-dated signature without a window is judged at the claimed time.
    assert verify(test_pki, cms).reason != Reason.EXPIRED


@pytest.mark.req(*REQS)
def test_key_without_signing_usage_is_refused(test_pki: Pki) -> None:
    result = verify(test_pki, test_pki.pki.sign("encryption-only", CONTENT))
    assert result.reason == Reason.WRONG_KEY_USAGE


@pytest.mark.req(*REQS)
def test_iin_of_another_person_is_refused(test_pki: Pki) -> None:
    cms = test_pki.pki.sign(test_pki.other.label, CONTENT)
    result = verify(test_pki, cms)
    assert result.reason == Reason.IIN_MISMATCH
    assert verify(test_pki, cms, expected_iin=OTHER_IIN).ok


@pytest.mark.req(*REQS)
def test_legal_entity_signer_binds_iin_and_bin(test_pki: Pki) -> None:
    cms = test_pki.pki.sign(test_pki.entity_signer.label, CONTENT)
    ok = verify(test_pki, cms, expected_iin=SIGNER_IIN, expected_bin=ENTITY_BIN)
    assert ok.ok, ok.detail
    assert ok.signer is not None and ok.signer.bin == ENTITY_BIN and ok.signer.organisation == "ТОО «Тест»"
    assert (
        verify(test_pki, cms, expected_iin=SIGNER_IIN, expected_bin="000000000000").reason
        == Reason.BIN_MISMATCH
    )
    personal = test_pki.pki.sign(test_pki.good.label, CONTENT)
    assert (
        verify(test_pki, personal, expected_iin=GOOD_IIN, expected_bin=ENTITY_BIN).reason
        == Reason.BIN_MISMATCH
    )


@pytest.mark.req(*REQS)
def test_gost_and_sha1_are_reported_unsupported_never_accepted(test_pki: Pki) -> None:
    cms = test_pki.pki.sign(test_pki.good.label, CONTENT)

    def gost(signer_info):  # type: ignore[no-untyped-def]
        signer_info["digest_algorithm"] = {"algorithm": "1.2.398.3.10.1.3.1"}  # GOST 34.311-95 (KZ)
        signer_info["signature_algorithm"] = {"algorithm": "1.2.398.3.10.1.1.1.2"}  # GOST 34.310-2004 (KZ)

    result = verify(test_pki, resign_with(cms, gost))
    assert result.reason == Reason.UNSUPPORTED_ALGORITHM
    assert "GOST" in result.detail

    def gost2015(signer_info):  # type: ignore[no-untyped-def]
        signer_info["signature_algorithm"] = {"algorithm": "1.2.398.3.10.1.1.2.3.2"}

    assert verify(test_pki, resign_with(cms, gost2015)).reason == Reason.UNSUPPORTED_ALGORITHM
    sha1 = sign_cms(
        CONTENT,
        test_pki.good.certificate,
        test_pki.good.private_key,
        extra_certificates=[test_pki.pki.intermediate],
    )

    def to_sha1(signer_info):  # type: ignore[no-untyped-def]
        signer_info["digest_algorithm"] = {"algorithm": "sha1"}

    assert verify(test_pki, resign_with(sha1, to_sha1)).reason == Reason.UNSUPPORTED_ALGORITHM


@pytest.mark.req(*REQS)
def test_ecdsa_p256_signature_verifies(test_pki: Pki) -> None:
    key = test_pki.pki.issue_client(
        iin=GOOD_IIN,
        surname="САПАРОВ",
        given_name="АСКАР",
        key=ec.generate_private_key(ec.SECP256R1()),
        label="ec",
    )
    result = verify(test_pki, test_pki.pki.sign("ec", CONTENT))
    assert result.ok, result.detail
    assert result.signature_algorithm == "sha256_ecdsa"
    assert key.certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.mark.req(*REQS)
def test_timestamp_token_gives_the_signing_time(test_pki: Pki) -> None:
    pki, key = test_pki.pki, test_pki.good
    signed_at = datetime.now(UTC).replace(microsecond=0)
    gen_time = signed_at - timedelta(seconds=30)

    def stamped_with(token_for: bytes) -> bytes:
        token = pki.timestamp_token(token_for, gen_time=gen_time)
        # RSA PKCS#1 v1.5 is deterministic: same attributes, same signature value as `plain`.
        return sign_cms(
            CONTENT,
            key.certificate,
            key.private_key,
            extra_certificates=[pki.intermediate],
            signing_time=signed_at,
            timestamp_token=token,
        )

    plain = sign_cms(
        CONTENT,
        key.certificate,
        key.private_key,
        extra_certificates=[pki.intermediate],
        signing_time=signed_at,
    )
    result = verify(test_pki, stamped_with(signature_value(plain)))
    assert result.ok, result.detail
    assert result.signing_time_source == "timestamp" and result.signing_time == gen_time
    # A token stamping another signature is refused.
    assert verify(test_pki, stamped_with(b"another signature")).reason == Reason.BAD_SIGNATURE


@pytest.mark.req(*REQS)
def test_garbage_and_foreign_structures_are_bad_signatures(test_pki: Pki) -> None:
    for junk in (
        b"",
        b"not a signature",
        "%%%",
        base64.b64encode(b"\x30\x03\x02\x01\x01").decode(),
        test_pki.good.certificate.public_bytes(serialization.Encoding.DER),
    ):
        assert verify(test_pki, junk).reason == Reason.BAD_SIGNATURE


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64))
def test_decode_input_never_alters_der(tail: bytes) -> None:
    """DER whose last bytes look like whitespace (0x20, 0x0a, ...) must come back intact."""
    der = b"\x30" + tail
    assert decode_input(der) == der


def test_decode_input_accepts_whitespace_wrapped_base64() -> None:
    der = b"\x30\x03\x02\x01\x05"
    b64 = base64.b64encode(der).decode()
    assert decode_input(f"  {b64[:4]}\r\n{b64[4:]}  ") == der


@settings(max_examples=50, deadline=None)
@given(
    iin=st.from_regex(r"\A[0-9]{12}\Z"),
    bin_=st.one_of(st.just(""), st.from_regex(r"\A[0-9]{12}\Z")),
    surname=st.text(st.characters(whitelist_categories=("Lu",)), min_size=1, max_size=20),
)
def test_nca_subject_round_trip(iin: str, bin_: str, surname: str) -> None:
    info = parse_subject(
        nca_subject(iin=iin, surname=surname, given_name="ТЕСТ", bin=bin_, organisation="ТОО" if bin_ else "")
    )
    assert (info.iin, info.bin, info.surname, info.country) == (iin, bin_, surname, "KZ")
    assert info.is_organisation == bool(bin_)


def test_test_pki_reopens_from_disk(test_pki: Pki) -> None:
    again = TestPki(test_pki.directory)
    assert again.root == test_pki.pki.root
    assert again.client_key(test_pki.good.label).certificate == test_pki.good.certificate  # type: ignore[union-attr]


@pytest.mark.req(*REQS)
def test_intermediate_from_the_local_store_when_the_cms_lacks_it(test_pki: Pki) -> None:
    from qaryz.signatures.verify import TrustStore

    key = test_pki.good
    bare = sign_cms(CONTENT, key.certificate, key.private_key)  # signer certificate only
    assert verify(test_pki, bare).reason == Reason.UNTRUSTED_CHAIN
    store = TrustStore([test_pki.pki.root], [test_pki.pki.intermediate])
    result = verify_cms(bare, CONTENT, trust=store, revocation=test_pki.checker(), expected_iin=GOOD_IIN)
    assert result.ok, result.detail
