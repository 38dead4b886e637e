"""Enveloped XMLDSig (NCALayer's ``signXml``): verification, and signing for the test PKI (pure).

NCALayer's ``signXml`` (Kalkan) returns the document with one ``ds:Signature`` appended to its
document element: ``Reference URI=""``, transforms enveloped-signature then C14N, RSA-SHA256 or GOST
2015 (``urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-512`` with
``...:gostr34112015-512``), the signer's certificate in ``KeyInfo/X509Data``. This module verifies
exactly that profile and refuses the rest **by name** (``unsupported_algorithm``): another
transform (XPath, XPath Filter 2, XSLT, base64), another canonicalization, RSA-SHA1 and SHA-1,
GOST 34.310-2004, more than one Reference, a Reference to an external URI or to any element but
the document element (the signature-wrapping attack: a Signature that verifies over one element
while the application reads another), more than one Signature, a DOCTYPE (entities).

The signature value is checked with the same verifiers as CMS (``cryptography`` for RSA, ``gost.py``
for GOST; a GOST value is ``s || r`` big-endian as in CMS, which for Kalkan's XML is not confirmed
from a public source), and the certificate goes through the same chain/validity/key usage/IIN/BIN/
revocation checks as CMS (``verify.check_signer``). XMLDSig carries no signed time: the signing
time is the verification time.

Canonicalization is lxml's (libxml2's C14N 1.0 and exclusive C14N, with or without comments). A
same-document reference (``""`` or ``#id``) excludes comments whatever the transform says (XMLDSig
section 4.3.3.2).
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import hmac
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from lxml import etree

from . import gost
from .cms import verify_signature_value
from .gostx509 import GostPrivateKey, gost_key
from .ports import RevocationChecker
from .subject import parse_subject
from .verify import Reason, TrustStore, VerificationFailure, VerificationResult, check_signer

DS = "http://www.w3.org/2000/09/xmldsig#"
EC_NS = "http://www.w3.org/2001/10/xml-exc-c14n#"
_MORE = "http://www.w3.org/2001/04/xmldsig-more#"
_XMLENC = "http://www.w3.org/2001/04/xmlenc#"
_KZ = "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:"  # NCA RK / Kalkan
_CP = "urn:ietf:params:xml:ns:cpxmlsec:algorithms:"  # CryptoPro (RFC 9215's algorithms)

C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
C14N_COMMENTS = C14N + "#WithComments"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
EXC_C14N_COMMENTS = EXC_C14N + "WithComments"
ENVELOPED = DS + "enveloped-signature"
# URI -> (exclusive, with comments)
CANONICALIZATIONS = {
    C14N: (False, False),
    C14N_COMMENTS: (False, True),
    EXC_C14N: (True, False),
    EXC_C14N_COMMENTS: (True, True),
}
RSA_SHA256 = _MORE + "rsa-sha256"
GOST_512 = _KZ + "gostr34102015-gostr34112015-512"
GOST_256 = _KZ + "gostr34102015-gostr34112015-256"
# SignatureMethod URI -> (key kind, digest name)
SIGNATURE_METHODS = {
    RSA_SHA256: ("rsa", "sha256"),
    _MORE + "rsa-sha384": ("rsa", "sha384"),
    _MORE + "rsa-sha512": ("rsa", "sha512"),
    GOST_256: ("gost", "streebog256"),
    GOST_512: ("gost", "streebog512"),
    _CP + "gostr34102012-gostr34112012-256": ("gost", "streebog256"),
    _CP + "gostr34102012-gostr34112012-512": ("gost", "streebog512"),
}
SHA256 = _XMLENC + "sha256"
STREEBOG_512 = _KZ + "gostr34112015-512"
STREEBOG_256 = _KZ + "gostr34112015-256"
DIGEST_METHODS = {
    SHA256: "sha256",
    _MORE + "sha384": "sha384",
    _XMLENC + "sha512": "sha512",
    STREEBOG_256: "streebog256",
    STREEBOG_512: "streebog512",
    _CP + "gostr34112012-256": "streebog256",
    _CP + "gostr34112012-512": "streebog512",
}
# Recognised only to refuse them with their name.
KNOWN_REFUSED = {
    _MORE + "gost34310-gost34311": "GOST 34.310-2004 with GOST 34.311-95",
    _MORE + "gost34311": "GOST 34.311-95",
    DS + "rsa-sha1": "RSA-SHA1",
    DS + "sha1": "SHA-1",
    DS + "dsa-sha1": "DSA-SHA1",
    "http://www.w3.org/TR/1999/REC-xpath-19991116": "XPath transform",
    "http://www.w3.org/2002/06/xmldsig-filter2": "XPath Filter 2.0 transform",
    "http://www.w3.org/TR/1999/REC-xslt-19991116": "XSLT transform",
    DS + "base64": "base64 transform",
    "http://www.w3.org/2006/12/xml-c14n11": "Canonical XML 1.1",
    "http://www.w3.org/2006/12/xml-c14n11#WithComments": "Canonical XML 1.1 with comments",
}
MAX_XML_BYTES = 2 * 1024 * 1024
_ID_ATTRIBUTES = ("Id", "ID", "id")


def _q(name: str) -> str:
    return f"{{{DS}}}{name}"


def _name(uri: str) -> str:
    return KNOWN_REFUSED.get(uri, uri or "(none)")


def _unsupported(what: str, uri: str) -> VerificationFailure:
    return VerificationFailure(Reason.UNSUPPORTED_ALGORITHM, f"unsupported XMLDSig {what}: {_name(uri)}")


def _bad(detail: str) -> VerificationFailure:
    return VerificationFailure(Reason.BAD_SIGNATURE, detail)


def looks_like_xml(data: bytes | str) -> bool:
    """Whether a submitted signature is XML (signXml) rather than CMS (DER, base64 or PEM)."""
    head = data[:64].lstrip() if isinstance(data, str) else bytes(data[:64]).lstrip()
    return head[:1] in ("<", b"<") or head[:3] == b"\xef\xbb\xbf"


def parse_xml(data: bytes | str) -> etree._Element:
    """The document element of ``data``: no DTD, no entities, no network, bounded size."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_XML_BYTES:
        raise _bad(f"XML larger than {MAX_XML_BYTES} bytes")
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_blank_text=False
    )
    try:
        # entities off, no network, and a DOCTYPE is refused below
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        raise _bad(f"XML not well-formed: {exc}") from exc
    if root.getroottree().docinfo.doctype or root.getroottree().docinfo.internalDTD is not None:
        raise _bad("XML with a DOCTYPE is refused (entities)")
    return root


def _c14n(element: etree._Element, exclusive: bool, with_comments: bool, prefixes: list[str]) -> bytes:
    return etree.tostring(
        element,
        method="c14n",
        exclusive=exclusive,
        with_comments=with_comments,
        inclusive_ns_prefixes=prefixes or None,
    )


def _without_signature(root: etree._Element, signature: etree._Element) -> etree._Element:
    """A copy of ``root`` with ``signature`` removed (the enveloped-signature transform): only the
    element goes, the text after it (its lxml ``tail``) stays in the document."""
    index = list(root).index(signature)
    clone = copy.deepcopy(root)
    victim = clone[index]
    tail = victim.tail or ""
    previous = victim.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        clone.text = (clone.text or "") + tail
    clone.remove(victim)
    return clone


def _prefix_list(method: etree._Element) -> list[str]:
    inclusive = method.find(f"{{{EC_NS}}}InclusiveNamespaces")
    if inclusive is None:
        return []
    return (inclusive.get("PrefixList") or "").split()


def _only(parent: etree._Element, name: str, what: str) -> etree._Element:
    found = parent.findall(_q(name))
    if len(found) != 1:
        raise _bad(f"XMLDSig needs exactly one {what}, found {len(found)}")
    return found[0]


def canonical_document(
    document: bytes | str | etree._Element, algorithm: str = C14N, prefixes: list[str] | None = None
) -> bytes:
    """The canonical form of an (unsigned) document, as a same-document reference digests it."""
    root = document if isinstance(document, etree._Element) else parse_xml(document)
    exclusive, _ = CANONICALIZATIONS[algorithm]
    return _c14n(root, exclusive, False, prefixes or [])


def _signed_octets(
    root: etree._Element, signature: etree._Element, reference: etree._Element
) -> tuple[bytes, str]:
    """What the single Reference digests (the document element minus the Signature, canonicalized),
    and the digest name. Refuses every other shape."""
    uri = reference.get("URI")
    if uri is None:
        raise _unsupported("Reference without URI", "")
    if uri.startswith("#") and not uri.startswith("#xpointer("):
        wanted = uri[1:]
        holders = [
            el
            for el in root.iter()
            if isinstance(el.tag, str) and wanted in {el.get(a) for a in _ID_ATTRIBUTES}
        ]
        if len(holders) != 1:
            raise _bad(f"Reference {uri!r} matches {len(holders)} elements")
        if holders[0] is not root:
            # the wrapping attack: the signature covers another element than the document read
            raise _bad(f"Reference {uri!r} is not the signed document's element (signature wrapping)")
    elif uri != "":
        raise _unsupported('Reference URI (only the enveloping document, "" or #id)', uri)
    transforms_el = reference.find(_q("Transforms"))
    transforms = [] if transforms_el is None else list(transforms_el)
    if any(t.tag != _q("Transform") for t in transforms):
        raise _bad("unexpected element in Transforms")
    algorithms = [t.get("Algorithm", "") for t in transforms]
    if not algorithms or algorithms[0] != ENVELOPED:
        raise _unsupported(
            "transforms: the enveloped-signature transform must come first, found", ",".join(algorithms)
        )
    exclusive, prefixes = False, []  # no c14n transform: the node-set becomes octets by inclusive C14N
    if len(algorithms) > 2:
        raise _unsupported("transform chain", " then ".join(_name(a) for a in algorithms))
    if len(algorithms) == 2:
        if algorithms[1] not in CANONICALIZATIONS:
            raise _unsupported("transform", algorithms[1])
        exclusive = CANONICALIZATIONS[algorithms[1]][0]
        prefixes = _prefix_list(transforms[1])
    method = reference.find(_q("DigestMethod"))
    digest_uri = "" if method is None else method.get("Algorithm", "")
    if digest_uri not in DIGEST_METHODS:
        raise _unsupported("digest", digest_uri)
    octets = _c14n(_without_signature(root, signature), exclusive, False, prefixes)
    return octets, DIGEST_METHODS[digest_uri]


def _digest(name: str, data: bytes) -> bytes:
    if name.startswith("streebog"):
        return gost.digest(name, data)
    return hashlib.new(name, data).digest()


def _b64(text: str | None, what: str) -> bytes:
    try:
        return base64.b64decode("".join((text or "").split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _bad(f"{what} is not base64") from exc


def _certificates(signature: etree._Element) -> list[x509.Certificate]:
    certs = []
    for node in signature.iterfind(f"{_q('KeyInfo')}/{_q('X509Data')}/{_q('X509Certificate')}"):
        try:
            certs.append(x509.load_der_x509_certificate(_b64(node.text, "X509Certificate")))
        except ValueError as exc:
            raise _bad(f"unreadable X509Certificate: {exc}") from exc
    if not certs:
        raise _bad("no signer certificate in KeyInfo/X509Data")
    return certs


def _check_value(cert: x509.Certificate, method_uri: str, value: bytes, signed_info: bytes) -> None:
    kind, digest_name = SIGNATURE_METHODS[method_uri]
    try:
        gost_public = gost_key(cert)
    except gost.GostError as exc:
        raise VerificationFailure(Reason.UNSUPPORTED_ALGORITHM, f"signer key: {exc}") from exc
    if kind == "gost":
        if gost_public is None:
            raise _bad("GOST signature from a certificate without a GOST key")
        if gost.DIGEST_NAMES[gost_public.digest_oid] != digest_name:
            raise _bad(
                f"signature method {method_uri} does not fit the {gost_public.curve.size * 8}-bit GOST key"
            )
        if not gost_public.verify(value, signed_info):
            raise _bad("SignedInfo signature does not verify")
        return
    if gost_public is not None:
        raise _bad("RSA signature method with a GOST key")
    public_key = cert.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise _bad(f"RSA signature method with a {type(public_key).__name__}")
    try:
        verify_signature_value(public_key, value, signed_info, digest_name)
    except InvalidSignature as exc:
        raise _bad("SignedInfo signature does not verify") from exc


def verify_xml(
    xml_data: bytes | str,
    expected_document: bytes | str | None,
    *,
    trust: TrustStore,
    revocation: RevocationChecker | None,
    now: datetime | None = None,
    expected_iin: str | None = None,
    expected_bin: str | None = None,
) -> VerificationResult:
    """Verify an enveloped XMLDSig; with ``expected_document`` the signed document (without its
    Signature) must canonicalize to the same octets as that unsigned document."""
    now = now or datetime.now(UTC)
    result = VerificationResult(ok=False, signing_time=now, signing_time_source="now", attached=True)
    try:
        root = parse_xml(xml_data)
        signatures = list(root.iter(_q("Signature")))
        if len(signatures) != 1:
            raise _bad(f"XML needs exactly one ds:Signature, found {len(signatures)}")
        signature = signatures[0]
        if signature.getparent() is not root:
            raise _bad("the ds:Signature is not a child of the document element (not enveloped)")
        signed_info = _only(signature, "SignedInfo", "SignedInfo")
        value = _b64(_only(signature, "SignatureValue", "SignatureValue").text, "SignatureValue")
        c14n_el = _only(signed_info, "CanonicalizationMethod", "CanonicalizationMethod")
        c14n_uri = c14n_el.get("Algorithm", "")
        if c14n_uri not in CANONICALIZATIONS:
            raise _unsupported("canonicalization", c14n_uri)
        method_uri = _only(signed_info, "SignatureMethod", "SignatureMethod").get("Algorithm", "")
        if method_uri not in SIGNATURE_METHODS:
            raise _unsupported("signature method", method_uri)
        references = signed_info.findall(_q("Reference"))
        if len(references) != 1:
            raise _unsupported("SignedInfo", f"{len(references)} References (exactly one is verified)")
        certs = _certificates(signature)
        leaf = certs[0]
        result.certificate = leaf
        result.signer = parse_subject(leaf.subject)
        result.signature_algorithm = method_uri
        octets, digest_name = _signed_octets(root, signature, references[0])
        result.digest_algorithm = digest_name
        expected_digest = _b64(_only(references[0], "DigestValue", "DigestValue").text, "DigestValue")
        if not hmac.compare_digest(_digest(digest_name, octets), expected_digest):
            raise VerificationFailure(
                Reason.CONTENT_MISMATCH, "the signed document changed (Reference digest)"
            )
        exclusive, comments = CANONICALIZATIONS[c14n_uri]
        signed_info_octets = _c14n(signed_info, exclusive, comments, _prefix_list(c14n_el))
        _check_value(leaf, method_uri, value, signed_info_octets)
        if expected_document is not None:
            transforms = references[0].find(_q("Transforms"))
            last = transforms[-1] if transforms is not None and len(transforms) > 1 else None
            algorithm = last.get("Algorithm", C14N) if last is not None else C14N
            expected = canonical_document(
                expected_document, algorithm, _prefix_list(last) if last is not None else []
            )
            if not hmac.compare_digest(expected, octets):
                raise VerificationFailure(
                    Reason.CONTENT_MISMATCH, "the signed XML is not the document presented"
                )
        check_signer(
            result,
            leaf,
            certs[1:],
            trust=trust,
            revocation=revocation,
            now=now,
            expected_iin=expected_iin,
            expected_bin=expected_bin,
        )
    except VerificationFailure as failure:
        result.reason = str(failure.reason)
        result.detail = failure.detail
        return result
    result.ok = True
    return result


# --- signing (test PKI, demo signer, tests) --------------------------------------------------------
def sign_xml(
    document: bytes | str,
    certificate: x509.Certificate,
    private_key: rsa.RSAPrivateKey | GostPrivateKey,
    *,
    canonicalization: str = C14N,
    transform: str = C14N_COMMENTS,
    reference_uri: str = "",
    extra_certificates: list[x509.Certificate] | None = None,
) -> bytes:
    """``document`` with an enveloped signature in NCALayer's layout (Reference URI="", enveloped-signature
    then ``transform``, SignedInfo canonicalized with ``canonicalization``; RSA-SHA256 or GOST 2015
    with Streebog of the key's size)."""
    root = parse_xml(document)
    if isinstance(private_key, GostPrivateKey):
        size = private_key.curve.size
        method, digest_uri = (GOST_512, STREEBOG_512) if size == 64 else (GOST_256, STREEBOG_256)
    else:
        method, digest_uri = RSA_SHA256, SHA256
    digest_value = _digest(
        DIGEST_METHODS[digest_uri], _c14n(root, CANONICALIZATIONS[transform][0], False, [])
    )

    signature = etree.SubElement(root, _q("Signature"), nsmap={"ds": DS})
    signed_info = etree.SubElement(signature, _q("SignedInfo"))
    etree.SubElement(signed_info, _q("CanonicalizationMethod"), Algorithm=canonicalization)
    etree.SubElement(signed_info, _q("SignatureMethod"), Algorithm=method)
    reference = etree.SubElement(signed_info, _q("Reference"), URI=reference_uri)
    transforms = etree.SubElement(reference, _q("Transforms"))
    etree.SubElement(transforms, _q("Transform"), Algorithm=ENVELOPED)
    etree.SubElement(transforms, _q("Transform"), Algorithm=transform)
    etree.SubElement(reference, _q("DigestMethod"), Algorithm=digest_uri)
    etree.SubElement(reference, _q("DigestValue")).text = base64.b64encode(digest_value).decode()
    value_el = etree.SubElement(signature, _q("SignatureValue"))
    x509_data = etree.SubElement(etree.SubElement(signature, _q("KeyInfo")), _q("X509Data"))
    from cryptography.hazmat.primitives.serialization import Encoding

    for cert in [certificate, *(extra_certificates or [])]:
        etree.SubElement(x509_data, _q("X509Certificate")).text = base64.b64encode(
            cert.public_bytes(Encoding.DER)
        ).decode()
    exclusive, comments = CANONICALIZATIONS[canonicalization]
    signed_info_octets = _c14n(signed_info, exclusive, comments, [])
    if isinstance(private_key, GostPrivateKey):
        value = private_key.sign(signed_info_octets)
    else:
        value = private_key.sign(signed_info_octets, padding.PKCS1v15(), hashes.SHA256())
    value_el.text = base64.b64encode(value).decode()
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")
