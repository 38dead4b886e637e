"""Objects in the states the demo data does not hold, made for the hostile-forms crawl
(``test_hostile_forms``) so that it reaches the forms those states show.

One module per area. Each may define ``cabinet()``, run before the clients' crawl (objects the
client pages show; staff pages see them too), and ``staff()``, run after the clients' crawl and
before the staff crawl (states that would change what the clients' pages show). States are made
through the rooms' own services wherever a service makes them, so that they are real states.
"""

from __future__ import annotations

from types import ModuleType

from qaryz.assurance.tests.hostile_states import lending, money, oversight, registry, servicing

AREAS: tuple[ModuleType, ...] = (registry, lending, servicing, money, oversight)


def before_cabinet() -> None:
    for area in AREAS:
        if hasattr(area, "cabinet"):
            area.cabinet()


def before_staff() -> None:
    for area in AREAS:
        if hasattr(area, "staff"):
            area.staff()
