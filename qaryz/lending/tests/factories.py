"""Test data of the lending and compliance rooms: valid IINs, clients, rule sets, products."""

from __future__ import annotations

import itertools
from decimal import Decimal as D

from qaryz.access import testing as access_testing
from qaryz.clients.models import Client
from qaryz.lending import demo
from qaryz.lending.models import LegalRuleSet, Product
from qaryz.lending.products import save_product_version, save_rule_set

_phones = itertools.count(1)


def iin_check_digit(first11: str) -> int | None:
    """Check digit of an IIN/BIN (DOMAIN.md): weights 1..11, then 3..11,1,2; None if invalid."""
    digits = [int(c) for c in first11]
    for weights in (range(1, 12), [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]):
        value = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        if value != 10:
            return value
    return None


def make_iin(birth: str = "900101", century_sex: str = "3", serial: int | None = None) -> str:
    """A valid IIN; without ``serial``, from the counter of ``access.testing`` – one counter, so that
    clients made by both factories in one test never share an IIN."""
    if serial is None:
        return access_testing.make_iin(birth, century_sex)
    while True:
        base = f"{birth}{century_sex}{serial % 10000:04d}"
        check = iin_check_digit(base)
        if check is not None:
            return f"{base}{check}"
        serial += 1


def make_client(iin: str | None = None, **extra: object) -> Client:
    fields: dict[str, object] = {
        "kind": Client.Kind.INDIVIDUAL,
        "status": Client.Status.CONFIRMED,
        "phone": f"+7702{next(_phones) % 10000000:07d}",
        "iin": iin or make_iin(),
        "surname": "Тестова",
        "given_name": "Айгуль",
        "patronymic": "Маратовна",
        "address": "г. Алматы, ул. Абая, 10, кв. 5",
    }
    fields.update(extra)
    return Client.objects.create(**fields)


def rule_sets() -> list[LegalRuleSet]:
    return [save_rule_set(dict(data)) for data in demo.RULE_SETS]


def product(**overrides: object) -> Product:
    data = {**demo.DEMO_PRODUCT, **overrides}
    return save_product_version(
        str(overrides.pop("code", "online")) if "code" in overrides else "online", data
    )


CAP = D("46")
