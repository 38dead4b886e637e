"""Enveloped XMLDSig (NCALayer's signXml) through the same checks as CMS (R-ONB-4, R-ONB-6, R-SIGN-1):
RSA-SHA256 and GOST 2015 signatures made with the project's test PKIs, accepted; tampered content,
tampered SignedInfo, a wrong certificate, signature wrapping and every construct outside the profile,
refused with their reasons."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from qaryz.signatures import xmldsig
from qaryz.signatures.verify import Reason, TrustStore

from .conftest import GOOD_IIN, OTHER_IIN, Pki

REQS = ("R-ONB-4", "R-ONB-6", "R-SIGN-1")
DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<qaryzEdsRequest xmlns="urn:qaryz:eds-request:1">'
    "<!-- a comment is not signed -->\n  <payload>Договор микрокредита № 1 &amp; график</payload>\n"
    "  <nonce>3f1c</nonce>\n</qaryzEdsRequest>"
).encode()
DS = {"ds": xmldsig.DS}


@pytest.fixture(params=["rsa", "gost"])
def any_pki(request: pytest.FixtureRequest) -> Pki:
    return request.getfixturevalue("test_pki" if request.param == "rsa" else "gost_pki")


def sign(pki: Pki, document: bytes = DOCUMENT, key=None, **kwargs) -> bytes:  # type: ignore[no-untyped-def]
    key = key or pki.good
    return xmldsig.sign_xml(
        document, key.certificate, key.private_key, extra_certificates=[pki.pki.intermediate], **kwargs
    )


def verify(pki: Pki, signed: bytes, expected: bytes | None = DOCUMENT, **kwargs):  # type: ignore[no-untyped-def]
    kwargs.setdefault("trust", pki.trust)
    kwargs.setdefault("revocation", pki.checker())
    kwargs.setdefault("expected_iin", GOOD_IIN)
    return xmldsig.verify_xml(signed, expected, **kwargs)


def edit(signed: bytes, change) -> bytes:  # type: ignore[no-untyped-def]
    root = etree.fromstring(signed)
    change(root)
    return etree.tostring(root)


def one(root: etree._Element, path: str) -> etree._Element:
    found = root.xpath(path, namespaces=DS)
    assert len(found) == 1, path
    return found[0]


@pytest.mark.req(*REQS)
@pytest.mark.parametrize(
    ("canonicalization", "transform"),
    [(xmldsig.C14N, xmldsig.C14N_COMMENTS), (xmldsig.EXC_C14N, xmldsig.EXC_C14N)],
    ids=["kalkan-c14n", "exc-c14n"],
)
def test_enveloped_signature_is_accepted_with_chain_and_ocsp(
    any_pki: Pki, canonicalization: str, transform: str
) -> None:
    signed = sign(any_pki, canonicalization=canonicalization, transform=transform)
    root = etree.fromstring(signed)
    assert one(root, "ds:Signature/ds:SignedInfo/ds:Reference").get("URI") == ""
    result = verify(any_pki, signed)
    assert result.ok, result.detail
    assert result.signer is not None and result.signer.iin == GOOD_IIN
    assert [c.subject for c in result.chain] == [
        any_pki.good.certificate.subject,
        any_pki.pki.intermediate.subject,
        any_pki.pki.root.subject,
    ]
    assert result.revocation is not None and result.revocation.source == "ocsp"
    assert result.signing_time_source == "now"
    gost = any_pki.pki.root.signature_algorithm_oid.dotted_string.startswith("1.2.643")
    assert result.digest_algorithm == ("streebog512" if gost else "sha256")
    assert result.signature_algorithm == (xmldsig.GOST_512 if gost else xmldsig.RSA_SHA256)
    # the presented document is compared in canonical form: no XML declaration is the same document
    assert verify(any_pki, signed, expected=DOCUMENT.split(b"?>", 1)[1]).ok


@pytest.mark.req(*REQS)
def test_gost_256_key_signs_with_the_256_bit_method(gost_pki) -> None:  # type: ignore[no-untyped-def]
    signed = sign(gost_pki, key=gost_pki.good_256)
    assert one(etree.fromstring(signed), "//ds:SignatureMethod").get("Algorithm") == xmldsig.GOST_256
    result = verify(gost_pki, signed)
    assert result.ok, result.detail
    assert result.digest_algorithm == "streebog256"


@pytest.mark.req(*REQS)
def test_tampered_content_is_refused(any_pki: Pki) -> None:
    signed = sign(any_pki)
    tampered = signed.replace("№ 1".encode(), "№ 2".encode())
    assert tampered != signed
    result = verify(any_pki, tampered, expected=None)
    assert result.reason == Reason.CONTENT_MISMATCH and "digest" in result.detail


@pytest.mark.req(*REQS)
def test_tampered_signed_info_is_refused(any_pki: Pki) -> None:
    """Content changed and the DigestValue recomputed to match: the SignedInfo signature fails."""
    signed = sign(any_pki)
    tampered = signed.replace("№ 1".encode(), "№ 2".encode())

    def new_digest(root: etree._Element) -> None:
        signature = one(root, "ds:Signature")
        digest_name = xmldsig.DIGEST_METHODS[one(root, "//ds:DigestMethod").get("Algorithm")]
        octets = xmldsig._c14n(xmldsig._without_signature(root, signature), False, False, [])
        one(root, "//ds:DigestValue").text = base64.b64encode(xmldsig._digest(digest_name, octets)).decode()

    result = verify(any_pki, edit(tampered, new_digest), expected=None)
    assert result.reason == Reason.BAD_SIGNATURE and "SignedInfo" in result.detail


@pytest.mark.req(*REQS)
def test_another_certificate_in_key_info_is_refused(any_pki: Pki) -> None:
    signed = sign(any_pki)
    other = base64.b64encode(any_pki.other.certificate.public_bytes(Encoding.DER)).decode()

    def swap(root: etree._Element) -> None:
        root.xpath("//ds:X509Certificate", namespaces=DS)[0].text = other

    assert verify(any_pki, edit(signed, swap), expected_iin=None).reason == Reason.BAD_SIGNATURE
    # a valid signature by somebody else is the wrong signer
    by_other = sign(any_pki, key=any_pki.other)
    assert verify(any_pki, by_other).reason == Reason.IIN_MISMATCH
    assert verify(any_pki, by_other, expected_iin=OTHER_IIN).ok


@pytest.mark.req(*REQS)
def test_valid_signature_over_another_document_is_a_content_mismatch(test_pki: Pki) -> None:
    signed = sign(test_pki, DOCUMENT.replace(b"3f1c", b"9999"))
    assert verify(test_pki, signed, expected=None).ok
    result = verify(test_pki, signed)
    assert result.reason == Reason.CONTENT_MISMATCH and "not the document presented" in result.detail


@pytest.mark.req(*REQS)
def test_signature_wrapping_is_refused(test_pki: Pki) -> None:
    """The signed document moved inside a new document element, and a Reference by Id to an inner
    element (the application would read the outer document)."""
    signed = sign(test_pki)
    wrapper = etree.Element("qaryzEdsRequest")
    etree.SubElement(wrapper, "payload").text = "Договор на 10 000 000 тенге"
    wrapper.append(etree.fromstring(signed))
    result = verify(test_pki, etree.tostring(wrapper), expected=None)
    assert result.reason == Reason.BAD_SIGNATURE and "not enveloped" in result.detail

    inner = DOCUMENT.replace(b"<payload>", b'<payload Id="p">')
    signed = sign(test_pki, inner)

    def by_id(root: etree._Element) -> None:
        one(root, "//ds:Reference").set("URI", "#p")

    result = verify(test_pki, edit(signed, by_id), expected=None)
    assert result.reason == Reason.BAD_SIGNATURE and "wrapping" in result.detail
    # two elements carrying the referenced Id
    twice = inner.replace(b"<nonce>", b'<nonce Id="p">')
    result = verify(test_pki, edit(sign(test_pki, twice), by_id), expected=None)
    assert result.reason == Reason.BAD_SIGNATURE and "matches 2 elements" in result.detail


@pytest.mark.req(*REQS)
def test_reference_by_the_document_elements_id_is_accepted(test_pki: Pki) -> None:
    document = DOCUMENT.replace(b"<qaryzEdsRequest ", b'<qaryzEdsRequest Id="doc" ')
    signed = sign(test_pki, document, reference_uri="#doc")
    result = verify(test_pki, signed, expected=document)
    assert result.ok, result.detail


@pytest.mark.req(*REQS)
@pytest.mark.parametrize(
    ("path", "attribute", "uri", "named"),
    [
        ("//ds:Transform[2]", "Algorithm", "http://www.w3.org/TR/1999/REC-xpath-19991116", "XPath transform"),
        ("//ds:Transform[2]", "Algorithm", "http://www.w3.org/TR/1999/REC-xslt-19991116", "XSLT transform"),
        ("//ds:Transform[1]", "Algorithm", xmldsig.C14N, "enveloped-signature transform must come first"),
        (
            "//ds:CanonicalizationMethod",
            "Algorithm",
            "http://www.w3.org/2006/12/xml-c14n11",
            "Canonical XML 1.1",
        ),
        ("//ds:SignatureMethod", "Algorithm", "http://www.w3.org/2000/09/xmldsig#rsa-sha1", "RSA-SHA1"),
        (
            "//ds:SignatureMethod",
            "Algorithm",
            "http://www.w3.org/2001/04/xmldsig-more#gost34310-gost34311",
            "GOST 34.310-2004",
        ),
        ("//ds:DigestMethod", "Algorithm", "http://www.w3.org/2000/09/xmldsig#sha1", "SHA-1"),
        ("//ds:Reference", "URI", "https://example.invalid/contract.xml", "Reference URI"),
        ("//ds:Reference", "URI", "#xpointer(/)", "Reference URI"),
    ],
)
def test_constructs_outside_the_profile_are_refused_by_name(
    test_pki: Pki, path: str, attribute: str, uri: str, named: str
) -> None:
    signed = sign(test_pki)

    def change(root: etree._Element) -> None:
        one(root, path).set(attribute, uri)

    result = verify(test_pki, edit(signed, change), expected=None)
    assert result.reason == Reason.UNSUPPORTED_ALGORITHM, result.detail
    assert named in result.detail


@pytest.mark.req(*REQS)
def test_two_references_two_signatures_and_doctype_are_refused(test_pki: Pki) -> None:
    signed = sign(test_pki)

    def second_reference(root: etree._Element) -> None:
        reference = one(root, "//ds:Reference")
        reference.addnext(etree.fromstring(etree.tostring(reference)))

    result = verify(test_pki, edit(signed, second_reference), expected=None)
    assert result.reason == Reason.UNSUPPORTED_ALGORITHM and "2 References" in result.detail

    def second_signature(root: etree._Element) -> None:
        root.append(etree.fromstring(etree.tostring(one(root, "ds:Signature"))))

    result = verify(test_pki, edit(signed, second_signature), expected=None)
    assert result.reason == Reason.BAD_SIGNATURE and "exactly one ds:Signature" in result.detail

    doctype = b'<!DOCTYPE q [<!ENTITY e "x">]>' + signed.split(b"?>", 1)[1]
    result = verify(test_pki, doctype, expected=None)
    assert result.reason == Reason.BAD_SIGNATURE and "DOCTYPE" in result.detail
    assert verify(test_pki, b"<not-xml", expected=None).reason == Reason.BAD_SIGNATURE


@pytest.mark.req(*REQS)
def test_chain_validity_and_key_checks_are_those_of_cms(test_pki: Pki, gost_pki: Pki) -> None:
    signed = sign(test_pki)
    assert verify(test_pki, signed, trust=TrustStore([gost_pki.pki.root])).reason == Reason.UNTRUSTED_CHAIN
    assert verify(test_pki, sign(test_pki, key=test_pki.expired)).reason == Reason.EXPIRED
    assert verify(test_pki, sign(test_pki, key=test_pki.no_signing_usage)).reason == Reason.WRONG_KEY_USAGE
    # an RSA certificate under a GOST signature method (and the reverse) is refused
    gost_signed = sign(gost_pki)
    rsa_cert = base64.b64encode(test_pki.good.certificate.public_bytes(Encoding.DER)).decode()

    def swap(root: etree._Element) -> None:
        root.xpath("//ds:X509Certificate", namespaces=DS)[0].text = rsa_cert

    result = verify(test_pki, edit(gost_signed, swap), expected=None)
    assert result.reason == Reason.BAD_SIGNATURE and "without a GOST key" in result.detail


@pytest.mark.req(*REQS)
def test_looks_like_xml_tells_signxml_output_from_cms() -> None:
    assert xmldsig.looks_like_xml(DOCUMENT)
    assert xmldsig.looks_like_xml("  <a/>")
    assert not xmldsig.looks_like_xml(b"\x30\x82\x01")
    assert not xmldsig.looks_like_xml("MIIB" + "A" * 10)
