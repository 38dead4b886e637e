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
    fields: dict[str, object] = {"kind": kind, "status": status, "phone": phone or make_phone()}
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
