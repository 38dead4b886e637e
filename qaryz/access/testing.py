"""Helpers for tests of every room: valid IINs, clients, staff with roles, signed-in test clients.

Not used by the running application.
"""

from __future__ import annotations

import itertools
from importlib import import_module

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.utils import timezone

from qaryz.access.models import ClientCredential, ClientSession, StaffSecurity
from qaryz.access.services import CLIENT_SESSION_KEY, STAFF_2FA_KEY, STAFF_SEEN_KEY
from qaryz.clients.idnumbers import complete
from qaryz.clients.models import Client

_serials = itertools.count(1)
_phones = itertools.count(1000000)
TEST_PASSWORD = "Qaryz-Test-Password-2026"  # noqa: S105 - test data only


def make_iin(birth: str = "900101", century_sex: str = "3") -> str:
    while True:
        value = complete(f"{birth}{century_sex}{next(_serials) % 10000:04d}")
        if value is not None:
            return value


def make_bin(prefix: str = "1501", kind: str = "40") -> str:
    while True:
        value = complete(f"{prefix}{kind}{next(_serials) % 100000:05d}")
        if value is not None:
            return value


def make_phone() -> str:
    return f"+7701{next(_phones) % 10000000:07d}"


def make_client(
    *,
    kind: str = Client.Kind.INDIVIDUAL,
    status: str = Client.Status.CONFIRMED,
    password: str | None = TEST_PASSWORD,
    phone: str | None = None,
    **extra: object,
) -> Client:
    fields: dict[str, object] = {
        "kind": kind,
        "status": status,
        "phone": phone or make_phone(),
        "address": "г. Алматы, ул. Абая, 10, кв. 5",
    }
    if kind == Client.Kind.LEGAL_ENTITY:
        fields.update(bin=make_bin(), legal_name="ТОО «Тест»")
    else:
        fields.update(iin=make_iin(), surname="Тестов", given_name="Тест")
    fields.update(extra)
    client = Client.objects.create(**fields)
    if password is not None:
        ClientCredential.objects.create(client=client, password_hash=make_password(password))
    return client


def make_staff(
    role: str | None,
    *,
    username: str | None = None,
    password: str = "Staff-Password-2026!",  # noqa: S107 - test data only
    phone: str | None = None,
):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(
        username=username or f"{role or 'nobody'}-{next(_serials)}", password=password, is_staff=True
    )
    StaffSecurity.objects.create(user=user, phone=phone or make_phone())
    if role:
        from qaryz.access.roles import sync_roles

        if not Group.objects.filter(name=role).exists():
            sync_roles()
        user.groups.add(Group.objects.get(name=role))
    return user


def last_sms_code(phone: str) -> str:
    """The one-time code of the newest code SMS the embedded gateway delivered to ``phone``."""
    import re

    from qaryz.messaging.models import EmbeddedSms

    text = EmbeddedSms.objects.filter(phone=phone, purpose__startswith="otp:").latest("id").text
    return re.search(r"\b(\d{6})\b", text).group(1)  # type: ignore[union-attr]


def sign_in_client(test_client, client: Client) -> ClientSession:
    """A live web session for ``client`` in Django's test client (skips the login pages)."""
    engine = import_module(settings.SESSION_ENGINE)
    store = engine.SessionStore()
    store.create()
    session = ClientSession.objects.create(
        client=client, session_key=store.session_key, last_seen_at=timezone.now()
    )
    store[CLIENT_SESSION_KEY] = session.pk
    store.save()
    test_client.cookies[settings.SESSION_COOKIE_NAME] = store.session_key
    return session


def sign_in_staff(test_client, user) -> None:
    """Staff session with the second factor passed (skips the login pages)."""
    test_client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = test_client.session
    session[STAFF_2FA_KEY] = True
    session[STAFF_SEEN_KEY] = timezone.now().timestamp()
    session.save()


class SoftAuthenticator:
    """A software WebAuthn authenticator (EC P-256, "none" attestation) for server tests.

    It behaves like a browser plus a security key: it checks the RP id of the options, refuses a
    credential list it is not in, builds clientDataJSON with the origin it is given, and signs
    authenticatorData ‖ SHA-256(clientDataJSON) with ECDSA-SHA256 – the bytes real keys send.
    ``clone()`` copies the private key and counter, as an attacker copying a key would.
    """

    def __init__(self, *, rp_id: str = "testserver", origin: str = "http://testserver") -> None:
        import os

        from cryptography.hazmat.primitives.asymmetric import ec

        self.rp_id = rp_id
        self.origin = origin
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.sign_count = 0
        self.user_verified = True

    @staticmethod
    def b64(data: bytes) -> str:
        import base64

        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    @staticmethod
    def unb64(text: str) -> bytes:
        import base64

        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))

    def clone(self) -> SoftAuthenticator:
        twin = SoftAuthenticator(rp_id=self.rp_id, origin=self.origin)
        twin.private_key, twin.credential_id, twin.sign_count = (
            self.private_key,
            self.credential_id,
            self.sign_count,
        )
        return twin

    def cose_public_key(self) -> bytes:
        import cbor2

        numbers = self.private_key.public_key().public_numbers()
        # COSE_Key: kty EC2 (2), alg ES256 (-7), crv P-256 (1), x, y.
        return cbor2.dumps(
            {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        )

    def _auth_data(self, rp_id: str, *, attested: bool) -> bytes:
        import hashlib

        flags = 0x01 | (0x04 if self.user_verified else 0) | (0x40 if attested else 0)  # UP, UV, AT
        data = hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + self.sign_count.to_bytes(4, "big")
        if attested:
            data += bytes(16)  # AAGUID: none
            data += len(self.credential_id).to_bytes(2, "big") + self.credential_id + self.cose_public_key()
        return data

    def _client_data(self, kind: str, challenge: str, origin: str | None) -> bytes:
        import json

        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin or self.origin, "crossOrigin": False}
        ).encode()

    def create(self, options: dict, *, origin: str | None = None, challenge: str | None = None) -> dict:
        """navigator.credentials.create(): the registration response in its JSON form."""
        import cbor2

        if options["rp"]["id"] != self.rp_id:
            raise ValueError("SecurityError: a browser refuses options for another RP id")
        excluded = {c["id"] for c in options.get("excludeCredentials") or []}
        if self.b64(self.credential_id) in excluded:
            raise ValueError("InvalidStateError: this key is already registered")
        client_data = self._client_data("webauthn.create", challenge or options["challenge"], origin)
        attestation = cbor2.dumps(
            {"fmt": "none", "attStmt": {}, "authData": self._auth_data(self.rp_id, attested=True)}
        )
        cid = self.b64(self.credential_id)
        return {
            "id": cid,
            "rawId": cid,
            "type": "public-key",
            "authenticatorAttachment": "cross-platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": self.b64(client_data),
                "attestationObject": self.b64(attestation),
                "transports": ["usb", "nfc"],
            },
        }

    def get(
        self,
        options: dict,
        *,
        origin: str | None = None,
        challenge: str | None = None,
        ignore_allow_list: bool = False,
        count: bool = True,
    ) -> dict:
        """navigator.credentials.get(): a signed assertion; the counter grows unless ``count=False``."""
        import hashlib

        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        if options["rpId"] != self.rp_id:
            raise ValueError("SecurityError: a browser refuses options for another RP id")
        allowed = {c["id"] for c in options.get("allowCredentials") or []}
        if not ignore_allow_list and self.b64(self.credential_id) not in allowed:
            raise ValueError("NotAllowedError: this key is not in allowCredentials")
        if count:
            self.sign_count += 1
        client_data = self._client_data("webauthn.get", challenge or options["challenge"], origin)
        auth_data = self._auth_data(self.rp_id, attested=False)
        signature = self.private_key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        cid = self.b64(self.credential_id)
        return {
            "id": cid,
            "rawId": cid,
            "type": "public-key",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": self.b64(client_data),
                "authenticatorData": self.b64(auth_data),
                "signature": self.b64(signature),
            },
        }
