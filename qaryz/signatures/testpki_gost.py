"""The GOST test PKI beside the RSA one (pure: no Django import; demo and tests only).

Same layout, subjects and services as ``testpki.TestPki`` (root -> intermediate -> NCA-shaped client
certificates, a delegated OCSP responder, a TSA, revoked.json), but every key is GOST R 34.10-2012
(ST RK GOST R 34.10-2015): the CAs 512-bit on id-tc26-gost-3410-12-512-paramSetA, clients 512-bit by
default or 256-bit on id-tc26-gost-3410-2012-256-paramSetA, everything signed
``id-tc26-signwithdigest-gost3410-12-256/512``. ``cryptography`` cannot build or sign such objects, so
certificates, OCSP responses and CRLs are built with asn1crypto here. A file ``algorithm`` holding
``gost`` marks the directory; ``open_test_pki`` picks the right class. Keys are JSON files
(parameter set and private scalar), mode 0600: test keys only.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from asn1crypto import core as acore
from asn1crypto import crl as acrl
from asn1crypto import keys as akeys
from asn1crypto import ocsp as aocsp
from asn1crypto import x509 as ax509
from cryptography import x509

from . import gost
from .gostx509 import (
    GostPrivateKey,
    GostPublicKey,
    _AlgorithmIdentifier,
    der,
    key_hash,
    spki_der,
    spki_key_hash,
)
from .subject import nca_subject
from .testpki import DEFAULT_BASE_URL, ClientKey, TestPki, _name, _read_cert, _write_cert, client_label

ROOT_NAME = "Qaryz TEST GOST Root CA (not NCA RK)"
INTERMEDIATE_NAME = "Qaryz TEST NCA (GOST) - demo only"
MARKER = "gost"


class _Signed(acore.Sequence):
    _fields = [("tbs", acore.Any), ("algorithm", _AlgorithmIdentifier), ("signature", acore.OctetBitString)]


def _write_key(path: Path, key: GostPrivateKey) -> None:
    data = json.dumps({"algorithm": "gost2015", "paramset": key.paramset, "d": f"{key.d:x}"}).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _read_key(path: Path) -> GostPrivateKey:
    data = json.loads(path.read_text())
    return GostPrivateKey(data["paramset"], int(data["d"], 16))


def _time(when: datetime) -> ax509.Time:
    when = when.astimezone(UTC).replace(microsecond=0)
    return ax509.Time({"utc_time": when} if when.year < 2050 else {"general_time": when})


def _uri(url: str) -> ax509.GeneralName:
    return ax509.GeneralName(name="uniform_resource_identifier", value=url)


def _ext(extn_id: str, value: object, *, critical: bool = False) -> dict[str, object]:
    return {"extn_id": extn_id, "critical": critical, "extn_value": value}


def signed_der(tbs_der: bytes, signature_oid: str, signature: bytes) -> bytes:
    """SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING } (certificates and CRLs), from the exact TBS bytes."""
    return _Signed(
        {"tbs": acore.Any.load(tbs_der), "algorithm": {"algorithm": signature_oid}, "signature": signature}
    ).dump()


def gost_certificate(
    subject: x509.Name,
    public: GostPublicKey,
    issuer_name: x509.Name,
    issuer_key: GostPrivateKey,
    *,
    not_before: datetime,
    not_after: datetime,
    ca: bool,
    path_length: int | None = None,
    signing: bool = True,
    eku: list[str] | None = None,
    base_url: str = "",
    crl_url: str = "",
    serial: int | None = None,
) -> x509.Certificate:
    """A certificate of ``public`` signed by ``issuer_key`` (GOST), NCA-shaped like ``testpki``'s."""
    spki = akeys.PublicKeyInfo.load(public.spki_der())
    issuer_public = issuer_key.public_key()
    ski = spki_key_hash(public.spki_der())
    aki = spki_key_hash(issuer_public.spki_der())
    if ca:
        usage = {"key_cert_sign", "crl_sign"}
    elif signing:
        usage = {"digital_signature", "non_repudiation"}
    else:
        usage = {"key_encipherment"}
    constraints: dict[str, object] = {"ca": ca}
    if ca and path_length is not None:
        constraints["path_len_constraint"] = path_length
    extensions = [
        _ext("basic_constraints", constraints, critical=True),
        _ext("key_usage", usage, critical=True),
        _ext("key_identifier", ski),
        _ext("authority_key_identifier", {"key_identifier": aki}),
    ]
    if not ca and base_url:
        extensions.append(
            _ext(
                "authority_information_access",
                [
                    {"access_method": "ocsp", "access_location": _uri(f"{base_url}/ocsp")},
                    {
                        "access_method": "ca_issuers",
                        "access_location": _uri(f"{base_url}/ca/intermediate.cer"),
                    },
                ],
            )
        )
        crl_url = crl_url or f"{base_url}/crl/intermediate.crl"
    if crl_url:
        extensions.append(
            _ext(
                "crl_distribution_points",
                [{"distribution_point": {"full_name": [_uri(crl_url)]}}],
            )
        )
    if eku:
        extensions.append(_ext("extended_key_usage", eku))
    sig_oid = issuer_public.signature_oid
    tbs = ax509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": serial or x509.random_serial_number(),
            "signature": {"algorithm": sig_oid},
            "issuer": ax509.Name.load(issuer_name.public_bytes()),
            "validity": {"not_before": _time(not_before), "not_after": _time(not_after)},
            "subject": ax509.Name.load(subject.public_bytes()),
            "subject_public_key_info": spki,
            "extensions": extensions,
        }
    )
    tbs_der = tbs.dump()
    return x509.load_der_x509_certificate(signed_der(tbs_der, sig_oid, issuer_key.sign(tbs_der)))


class GostTestPki(TestPki):
    """The GOST test PKI in ``directory``; ``GostTestPki.create`` makes one."""

    __test__ = False

    @classmethod
    def create(  # type: ignore[override]
        cls, directory: Path | str, *, base_url: str = DEFAULT_BASE_URL
    ) -> GostTestPki:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        (directory / "issued").mkdir(exist_ok=True)
        (directory / "clients").mkdir(exist_ok=True, mode=0o700)
        now = datetime.now(UTC)
        root_key = GostPrivateKey.generate(gost.PARAMSET_512_A)
        root_name = _name(ROOT_NAME)
        root = gost_certificate(
            root_name,
            root_key.public_key(),
            root_name,
            root_key,
            not_before=now - timedelta(days=1),
            not_after=now + timedelta(days=365 * 20),
            ca=True,
            path_length=1,
        )
        inter_key = GostPrivateKey.generate(gost.PARAMSET_512_A)
        inter = gost_certificate(
            _name(INTERMEDIATE_NAME),
            inter_key.public_key(),
            root.subject,
            root_key,
            not_before=now - timedelta(days=1),
            not_after=now + timedelta(days=365 * 10),
            ca=True,
            path_length=0,
            crl_url=f"{base_url}/crl/root.crl",
        )
        services = {}
        for stem, cn, eku in (
            ("ocsp", "Qaryz TEST GOST OCSP responder", "ocsp_signing"),
            ("tsa", "Qaryz TEST GOST TSA", "time_stamping"),
        ):
            key = GostPrivateKey.generate(gost.PARAMSET_256_A)
            cert = gost_certificate(
                _name(cn),
                key.public_key(),
                inter.subject,
                inter_key,
                not_before=now - timedelta(days=1),
                not_after=now + timedelta(days=365 * 2),
                ca=False,
                eku=[eku],
                base_url=base_url,
            )
            _write_cert(directory / "issued" / f"{cert.serial_number:x}.pem", cert)
            services[stem] = (cert, key)
        for stem, cert, key in (
            ("root", root, root_key),
            ("intermediate", inter, inter_key),
            ("ocsp", *services["ocsp"]),
            ("tsa", *services["tsa"]),
        ):
            _write_cert(directory / f"{stem}.pem", cert)
            _write_key(directory / f"{stem}.key", key)
        (directory / "base_url").write_text(base_url)
        (directory / "revoked.json").write_text("{}")
        (directory / "algorithm").write_text(MARKER)
        return cls(directory)

    def key(self, stem: str) -> GostPrivateKey:  # type: ignore[override]
        if stem not in self._keys:
            self._keys[stem] = _read_key(self.directory / f"{stem}.key")  # type: ignore[assignment]
        return self._keys[stem]  # type: ignore[return-value]

    def issue_client(  # type: ignore[override]
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
        key: GostPrivateKey | None = None,
        label: str | None = None,
        store: bool = True,
        paramset: str = gost.PARAMSET_512_A,
    ) -> ClientKey:
        now = datetime.now(UTC)
        key = key or GostPrivateKey.generate(paramset)
        cert = gost_certificate(
            nca_subject(iin=iin, surname=surname, given_name=given_name, bin=bin, organisation=organisation),
            key.public_key(),
            self.intermediate.subject,
            self.key("intermediate"),
            not_before=not_before or now - timedelta(days=1),
            not_after=not_after or now + timedelta(days=365),
            ca=False,
            signing=signing,
            eku=["email_protection"],
            base_url=self.base_url,
        )
        _write_cert(self.directory / "issued" / f"{cert.serial_number:x}.pem", cert)
        label = label or client_label(iin, bin)
        if store:
            _write_cert(self.directory / "clients" / f"{label}.pem", cert)
            _write_key(self.directory / "clients" / f"{label}.key", key)
        return ClientKey(label, cert, key)  # type: ignore[arg-type]

    def client_key(self, label: str) -> ClientKey | None:
        cert_path = self.directory / "clients" / f"{label}.pem"
        if not cert_path.exists():
            return None
        key = _read_key(self.directory / "clients" / f"{label}.key")
        return ClientKey(label, _read_cert(cert_path), key)  # type: ignore[arg-type]

    def timestamp_token(
        self, signature: bytes, *, gen_time: datetime | None = None, digest_oid: str = gost.OID_DIGEST_256
    ) -> bytes:
        """An RFC 3161 token of the GOST TSA with a Streebog imprint (``digest_oid`` "sha256" for SHA-256)."""
        if digest_oid == "sha256":
            return super().timestamp_token(signature, gen_time=gen_time)
        return _gost_timestamp_token(self, signature, gen_time, digest_oid)

    # --- OCSP responder and CRL publisher, GOST-signed --------------------------------------------
    def ocsp_respond(  # type: ignore[override]
        self,
        request_der: bytes,
        *,
        now: datetime | None = None,
        validity: timedelta = timedelta(hours=1),
        responder: tuple[x509.Certificate, GostPrivateKey] | None = None,
        this_update: datetime | None = None,
        next_update: datetime | None = None,
        nonce: bytes | None = None,
    ) -> bytes:
        now = now or datetime.now(UTC)
        try:
            request = aocsp.OCSPRequest.load(request_der)
            tbs_request = request["tbs_request"]
            cert_id = tbs_request["request_list"][0]["req_cert"]
            hash_name = cert_id["hash_algorithm"]["algorithm"].native
            serial = cert_id["serial_number"].native
        except (ValueError, TypeError, KeyError, IndexError):
            return aocsp.OCSPResponse({"response_status": "malformed_request"}).dump()
        responder_cert, responder_key = responder or (self.ocsp_cert, self.key("ocsp"))
        ours = cert_id["issuer_name_hash"].native == hashlib.new(
            hash_name, self.intermediate.subject.public_bytes()
        ).digest() and cert_id["issuer_key_hash"].native == _key_bits_hash(hash_name, self.intermediate)
        revocation = self.revocation_of(serial) if ours else None
        if not (ours and self.issued(serial) is not None):
            status = aocsp.CertStatus(name="unknown", value=None)
        elif revocation is not None:
            status = aocsp.CertStatus(
                name="revoked",
                value={
                    "revocation_time": revocation[0].replace(microsecond=0),
                    "revocation_reason": revocation[1].name,
                },
            )
        else:
            status = aocsp.CertStatus(name="good", value=None)
        request_nonce = None
        for ext in tbs_request["request_extensions"] or []:
            if ext["extn_id"].native == "nonce":
                request_nonce = ext["extn_value"].native
        echo = nonce if nonce is not None else request_nonce
        data: dict[str, object] = {
            "responder_id": aocsp.ResponderId(name="by_key", value=key_hash(responder_cert)),
            "produced_at": now.replace(microsecond=0),
            "responses": [
                {
                    "cert_id": cert_id,
                    "cert_status": status,
                    "this_update": (this_update or now - timedelta(seconds=5)).replace(microsecond=0),
                    "next_update": (next_update or now + validity).replace(microsecond=0),
                }
            ],
        }
        if echo is not None:
            data["response_extensions"] = [{"extn_id": "nonce", "extn_value": echo}]
        response_data = aocsp.ResponseData(data)
        basic = aocsp.BasicOCSPResponse(
            {
                "tbs_response_data": response_data,
                "signature_algorithm": {"algorithm": responder_key.public_key().signature_oid},
                "signature": responder_key.sign(response_data.dump()),
                "certs": [ax509.Certificate.load(der(responder_cert))],
            }
        )
        return aocsp.OCSPResponse(
            {
                "response_status": "successful",
                "response_bytes": {"response_type": "basic_ocsp_response", "response": basic},
            }
        ).dump()

    def crl(
        self,
        *,
        now: datetime | None = None,
        validity: timedelta = timedelta(days=1),
        issuer: str = "intermediate",
    ) -> bytes:
        now = now or datetime.now(UTC)
        issuer_cert = self.root if issuer == "root" else self.intermediate
        issuer_key = self.key(issuer)
        sig_oid = issuer_key.public_key().signature_oid
        revoked = [
            {
                "user_certificate": int(serial_hex, 16),
                "revocation_date": _time(datetime.fromisoformat(entry["at"])),
                "crl_entry_extensions": [{"extn_id": "crl_reason", "extn_value": entry["reason"]}],
            }
            for serial_hex, entry in self._revoked().items()
            if entry.get("issuer", "intermediate") == issuer
        ]
        tbs_data: dict[str, object] = {
            "version": "v2",
            "signature": {"algorithm": sig_oid},
            "issuer": ax509.Name.load(issuer_cert.subject.public_bytes()),
            "this_update": _time(now - timedelta(seconds=5)),
            "next_update": _time(now + validity),
            "crl_extensions": [{"extn_id": "crl_number", "extn_value": int(now.timestamp())}],
        }
        if revoked:
            tbs_data["revoked_certificates"] = revoked
        tbs_der = acrl.TbsCertList(tbs_data).dump()
        return signed_der(tbs_der, sig_oid, issuer_key.sign(tbs_der))


def _gost_timestamp_token(
    pki: GostTestPki, signature: bytes, gen_time: datetime | None, digest_oid: str
) -> bytes:
    from asn1crypto import tsp

    from .cms import sign_cms

    info = tsp.TSTInfo(
        {
            "version": "v1",
            "policy": "1.2.398.3.3.2.6.1",
            "message_imprint": {
                "hash_algorithm": {"algorithm": digest_oid},
                "hashed_message": gost.digest(digest_oid, signature),
            },
            "serial_number": x509.random_serial_number(),
            "gen_time": (gen_time or datetime.now(UTC)).replace(microsecond=0),
        }
    )
    return sign_cms(
        info.dump(),
        pki.tsa_cert,
        pki.key("tsa"),  # type: ignore[arg-type]
        extra_certificates=[pki.intermediate],
        detached=False,
        content_type="tst_info",
        signing_time=gen_time,
    )


def _key_bits_hash(hash_name: str, cert: x509.Certificate) -> bytes:
    return spki_key_hash(spki_der(cert), hash_name)


def open_test_pki(directory: Path | str) -> TestPki:
    """The RSA or the GOST test PKI in ``directory``, by its marker."""
    marker = Path(directory) / "algorithm"
    if marker.exists() and marker.read_text().strip() == MARKER:
        return GostTestPki(directory)
    return TestPki(directory)
