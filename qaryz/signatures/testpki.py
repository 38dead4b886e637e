"""A test PKI shaped like NCA RK's, for the demo and the tests (pure: no Django import).

Root CA -> intermediate CA ("TEST NCA") -> client certificates (NCA-shaped subjects), plus a
delegated OCSP responder certificate (id-kp-OCSPSigning) and a timestamp authority certificate.
Everything lives in one directory (under settings.KEY_DIR/test-pki in the demo, never in the
repository): PEM certificates, unencrypted PEM keys (mode 0600, test keys only), the issued
certificates by serial, and the revocation state (revoked.json) that the OCSP responder and
the CRL publisher read on every answer. Its root is trusted only where configured.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .cms import sign_cms
from .subject import nca_subject

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
DEFAULT_BASE_URL = "http://test-pki.invalid"
ROOT_NAME = "Qaryz TEST Root CA (not NCA RK)"
INTERMEDIATE_NAME = "Qaryz TEST NCA (RSA) - demo only"


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Qaryz demo test PKI"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"),
        ]
    )


def new_rsa_key(bits: int = 2048) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def _write_key(path: Path, key: PrivateKey) -> None:
    data = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _read_key(path: Path) -> PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)  # noqa: S101 - own files
    return key


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _read_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _ca_certificate(
    subject: x509.Name,
    key: PrivateKey,
    issuer: x509.Name,
    issuer_key: PrivateKey,
    *,
    path_length: int | None,
    not_before: datetime,
    not_after: datetime,
    crl_url: str = "",
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False
        )  # type: ignore[arg-type]
    )
    if crl_url:  # where the issuer publishes this CA certificate's revocation (NCA's CAs do too)
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(crl_url)],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def self_signed_ca(
    cn: str, key: PrivateKey | None = None, *, years: int = 10
) -> tuple[x509.Certificate, PrivateKey]:
    key = key or new_rsa_key()
    now = datetime.now(UTC)
    name = _name(cn)
    cert = _ca_certificate(
        name,
        key,
        name,
        key,
        path_length=1,
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=365 * years),
    )
    return cert, key


def _key_usage(*, signing: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signing,
        content_commitment=signing,
        key_encipherment=not signing,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )


def leaf_certificate(
    subject: x509.Name,
    public_key: object,
    issuer_cert: x509.Certificate,
    issuer_key: PrivateKey,
    *,
    base_url: str,
    not_before: datetime,
    not_after: datetime,
    signing: bool = True,
    eku: list[x509.ObjectIdentifier] | None = None,
    serial: int | None = None,
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject)
        .public_key(public_key)  # type: ignore[arg-type]
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signing=signing), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)  # type: ignore[arg-type]
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        x509.oid.AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier(f"{base_url}/ocsp"),
                    ),
                    x509.AccessDescription(
                        x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
                        x509.UniformResourceIdentifier(f"{base_url}/ca/intermediate.cer"),
                    ),
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(f"{base_url}/crl/intermediate.crl")],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
    )
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def client_label(iin: str, bin: str = "") -> str:
    return f"{bin}-{iin}" if bin else iin


@dataclass
class ClientKey:
    label: str
    certificate: x509.Certificate
    private_key: PrivateKey


class TestPki:
    """The test PKI in ``directory``; create it with ``TestPki.create`` and reopen with ``TestPki(dir)``."""

    __test__ = False  # not a pytest test class

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        if not (self.directory / "root.pem").exists():
            raise FileNotFoundError(f"no test PKI in {self.directory}")
        self.root = _read_cert(self.directory / "root.pem")
        self.intermediate = _read_cert(self.directory / "intermediate.pem")
        self.ocsp_cert = _read_cert(self.directory / "ocsp.pem")
        self.tsa_cert = _read_cert(self.directory / "tsa.pem")
        self.base_url = (self.directory / "base_url").read_text().strip()
        self._keys: dict[str, PrivateKey] = {}

    # --- creation -----------------------------------------------------------------------
    @classmethod
    def exists(cls, directory: Path | str) -> bool:
        return (Path(directory) / "root.pem").exists()

    @classmethod
    def create(cls, directory: Path | str, *, base_url: str = DEFAULT_BASE_URL) -> TestPki:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        (directory / "issued").mkdir(exist_ok=True)
        (directory / "clients").mkdir(exist_ok=True, mode=0o700)
        now = datetime.now(UTC)
        root, root_key = self_signed_ca(ROOT_NAME, years=20)
        inter_key = new_rsa_key()
        inter = _ca_certificate(
            _name(INTERMEDIATE_NAME),
            inter_key,
            root.subject,
            root_key,
            path_length=0,
            not_before=now - timedelta(days=1),
            not_after=now + timedelta(days=365 * 10),
            crl_url=f"{base_url}/crl/root.crl",
        )
        ocsp_key = new_rsa_key()
        ocsp_cert = leaf_certificate(
            _name("Qaryz TEST OCSP responder"),
            ocsp_key.public_key(),
            inter,
            inter_key,
            base_url=base_url,
            not_before=now - timedelta(days=1),
            not_after=now + timedelta(days=365 * 2),
            signing=True,
            eku=[ExtendedKeyUsageOID.OCSP_SIGNING],
        )
        tsa_key = new_rsa_key()
        tsa_cert = leaf_certificate(
            _name("Qaryz TEST TSA"),
            tsa_key.public_key(),
            inter,
            inter_key,
            base_url=base_url,
            not_before=now - timedelta(days=1),
            not_after=now + timedelta(days=365 * 2),
            signing=True,
            eku=[ExtendedKeyUsageOID.TIME_STAMPING],
        )
        (directory / "issued").mkdir(exist_ok=True)
        for service_cert in (ocsp_cert, tsa_cert):  # the responder answers for them too
            _write_cert(directory / "issued" / f"{service_cert.serial_number:x}.pem", service_cert)
        for stem, cert, key in (
            ("root", root, root_key),
            ("intermediate", inter, inter_key),
            ("ocsp", ocsp_cert, ocsp_key),
            ("tsa", tsa_cert, tsa_key),
        ):
            _write_cert(directory / f"{stem}.pem", cert)
            _write_key(directory / f"{stem}.key", key)
        (directory / "base_url").write_text(base_url)
        (directory / "revoked.json").write_text("{}")
        return cls(directory)

    def key(self, stem: str) -> PrivateKey:
        if stem not in self._keys:
            self._keys[stem] = _read_key(self.directory / f"{stem}.key")
        return self._keys[stem]

    # --- client certificates --------------------------------------------------------------
    def issue_client(
        self,
        *,
        iin: str,
        surname: str,
        given_name: str,
        bin: str = "",
        organisation: str = "",
        not_before: datetime | None = None,
        not_after: datetime | None = None,
        signing: bool = True,
        key: PrivateKey | None = None,
        label: str | None = None,
        store: bool = True,
    ) -> ClientKey:
        now = datetime.now(UTC)
        key = key or new_rsa_key()
        cert = leaf_certificate(
            nca_subject(iin=iin, surname=surname, given_name=given_name, bin=bin, organisation=organisation),
            key.public_key(),
            self.intermediate,
            self.key("intermediate"),
            base_url=self.base_url,
            not_before=not_before or now - timedelta(days=1),
            not_after=not_after or now + timedelta(days=365),
            signing=signing,
            eku=[ExtendedKeyUsageOID.EMAIL_PROTECTION],
        )
        _write_cert(self.directory / "issued" / f"{cert.serial_number:x}.pem", cert)
        label = label or client_label(iin, bin)
        if store:
            _write_cert(self.directory / "clients" / f"{label}.pem", cert)
            _write_key(self.directory / "clients" / f"{label}.key", key)
        return ClientKey(label, cert, key)

    def client_key(self, label: str) -> ClientKey | None:
        cert_path = self.directory / "clients" / f"{label}.pem"
        if not cert_path.exists():
            return None
        return ClientKey(label, _read_cert(cert_path), _read_key(self.directory / "clients" / f"{label}.key"))

    def issued(self, serial: int) -> x509.Certificate | None:
        path = self.directory / "issued" / f"{serial:x}.pem"
        return _read_cert(path) if path.exists() else None

    # --- revocation state -------------------------------------------------------------------
    def _revoked(self) -> dict[str, dict[str, str]]:
        return json.loads((self.directory / "revoked.json").read_text())

    def revoke(
        self, cert: x509.Certificate, *, at: datetime | None = None, reason: str = "key_compromise"
    ) -> None:
        revoked = self._revoked()
        revoked[f"{cert.serial_number:x}"] = {
            "at": (at or datetime.now(UTC) - timedelta(seconds=1)).isoformat(),
            "reason": reason,
            "issuer": "root" if cert.issuer == self.root.subject else "intermediate",
        }
        tmp = self.directory / "revoked.json.tmp"
        tmp.write_text(json.dumps(revoked, sort_keys=True))
        tmp.replace(self.directory / "revoked.json")

    def revocation_of(self, serial: int) -> tuple[datetime, x509.ReasonFlags] | None:
        entry = self._revoked().get(f"{serial:x}")
        if entry is None:
            return None
        return datetime.fromisoformat(entry["at"]), x509.ReasonFlags[entry["reason"]]

    # --- the OCSP responder and CRL publisher ---------------------------------------------------
    def ocsp_respond(
        self,
        request_der: bytes,
        *,
        now: datetime | None = None,
        validity: timedelta = timedelta(hours=1),
        responder: tuple[x509.Certificate, PrivateKey] | None = None,
        this_update: datetime | None = None,
        next_update: datetime | None = None,
        nonce: bytes | None = None,
    ) -> bytes:
        """Answer an OCSP request for certificates of the intermediate (RFC 6960)."""
        now = now or datetime.now(UTC)
        try:
            request = ocsp.load_der_ocsp_request(request_der)
        except ValueError:
            return ocsp.OCSPResponseBuilder.build_unsuccessful(
                ocsp.OCSPResponseStatus.MALFORMED_REQUEST
            ).public_bytes(serialization.Encoding.DER)
        responder_cert, responder_key = responder or (self.ocsp_cert, self.key("ocsp"))
        # CertID hashes of "issued by our intermediate", computed from any certificate it issued.
        expected = (
            ocsp.OCSPRequestBuilder()
            .add_certificate(self.ocsp_cert, self.intermediate, request.hash_algorithm)
            .build()
        )
        builder = ocsp.OCSPResponseBuilder()
        this_update = this_update or now - timedelta(seconds=5)
        next_update = next_update or now + validity
        ours = (
            request.issuer_key_hash == expected.issuer_key_hash
            and request.issuer_name_hash == expected.issuer_name_hash
        )
        revocation = self.revocation_of(request.serial_number) if ours else None
        known = ours and self.issued(request.serial_number) is not None
        if not known:
            status, rev_time, rev_reason = ocsp.OCSPCertStatus.UNKNOWN, None, None
        elif revocation is not None:
            status, rev_time, rev_reason = ocsp.OCSPCertStatus.REVOKED, revocation[0], revocation[1]
        else:
            status, rev_time, rev_reason = ocsp.OCSPCertStatus.GOOD, None, None
        builder = builder.add_response_by_hash(
            issuer_name_hash=request.issuer_name_hash,
            issuer_key_hash=request.issuer_key_hash,
            serial_number=request.serial_number,
            algorithm=request.hash_algorithm,
            cert_status=status,
            this_update=this_update,
            next_update=next_update,
            revocation_time=rev_time,
            revocation_reason=rev_reason,
        )
        builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, responder_cert).certificates(
            [responder_cert]
        )
        try:
            request_nonce = request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
        except x509.ExtensionNotFound:
            request_nonce = None
        echo = nonce if nonce is not None else request_nonce
        if echo is not None:
            builder = builder.add_extension(x509.OCSPNonce(echo), critical=False)
        return builder.sign(responder_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def crl(
        self,
        *,
        now: datetime | None = None,
        validity: timedelta = timedelta(days=1),
        issuer: str = "intermediate",
    ) -> bytes:
        """The CRL of the intermediate (client certificates) or, with ``issuer="root"``, of the root
        (the intermediate CA certificate itself)."""
        now = now or datetime.now(UTC)
        issuer_cert = self.root if issuer == "root" else self.intermediate
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(issuer_cert.subject)
            .last_update(now - timedelta(seconds=5))
            .next_update(now + validity)
            .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
        )
        for serial_hex, entry in self._revoked().items():
            if entry.get("issuer", "intermediate") != issuer:
                continue
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(int(serial_hex, 16))
                .revocation_date(datetime.fromisoformat(entry["at"]))
                .add_extension(x509.CRLReason(x509.ReasonFlags[entry["reason"]]), critical=False)
                .build()
            )
        return builder.sign(self.key(issuer), hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    # --- timestamp authority ------------------------------------------------------------------
    def timestamp_token(self, signature: bytes, *, gen_time: datetime | None = None) -> bytes:
        """An RFC 3161 TimeStampToken over ``signature`` (the signer's signature value)."""
        import hashlib

        info = tsp.TSTInfo(
            {
                "version": "v1",
                "policy": "1.2.398.3.3.2.6.1",
                "message_imprint": {
                    "hash_algorithm": {"algorithm": "sha256"},
                    "hashed_message": hashlib.sha256(signature).digest(),
                },
                "serial_number": x509.random_serial_number(),
                "gen_time": (gen_time or datetime.now(UTC)).replace(microsecond=0),
            }
        )
        return sign_cms(
            info.dump(),
            self.tsa_cert,
            self.key("tsa"),
            extra_certificates=[self.intermediate],
            detached=False,
            content_type="tst_info",
            signing_time=gen_time,
        )

    # --- signing (the demo signer and the tests) -------------------------------------------------
    def sign(
        self, label: str, content: bytes, *, detached: bool = True, signing_time: datetime | None = None
    ) -> bytes:
        key = self.client_key(label)
        if key is None:
            raise KeyError(f"no test key {label!r}")
        return self.sign_with(key, content, detached=detached, signing_time=signing_time)

    def sign_with(
        self, key: ClientKey, content: bytes, *, detached: bool = True, signing_time: datetime | None = None
    ) -> bytes:
        return sign_cms(
            content,
            key.certificate,
            key.private_key,
            extra_certificates=[self.intermediate],
            detached=detached,
            signing_time=signing_time,
        )
