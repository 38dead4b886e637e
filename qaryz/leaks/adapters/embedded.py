"""Embedded mobile operator: answers from its own subscriber base (``SimulatedSubscriber``) and
logs each question (``SimulatedQuery``). It knows only the numbers registered with it (demo data,
tests, ``register_subscriber``); for any other number it answers ``unknown``."""

from __future__ import annotations

from qaryz.leaks.models import SimulatedQuery, SimulatedSubscriber
from qaryz.leaks.ports import OwnerAnswer


class EmbeddedMobileOperator:
    name = "embedded"

    def check_owner(self, phone: str, iin: str) -> OwnerAnswer:
        subscriber = SimulatedSubscriber.objects.filter(phone=phone).first()
        if subscriber is None:
            result, operator = "unknown", ""
        else:
            result, operator = ("match" if subscriber.iin == iin else "mismatch"), subscriber.operator
        SimulatedQuery.objects.create(phone=phone, iin=iin, result=result)
        return OwnerAnswer(result, operator)


def register_subscriber(phone: str, iin: str, operator: str = "Demo Mobile") -> SimulatedSubscriber:
    """Register (or re-register, as a SIM swap would) a number to an IIN in the simulator."""
    subscriber, _created = SimulatedSubscriber.objects.update_or_create(
        phone=phone, defaults={"iin": iin, "operator": operator}
    )
    return subscriber
