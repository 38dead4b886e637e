"""The back-office client card shows the client's app instances, their integrity and where money
operations were made from (R-MOB-1)."""

from __future__ import annotations

import pytest

from qaryz.access.testing import make_staff, sign_in_staff

pytestmark = [pytest.mark.django_db, pytest.mark.req("R-MOB-1")]


def test_client_card_lists_devices_and_locations(client, signed_in_app):
    person, app = signed_in_app()
    app.call("POST", "/api/v1/applications", {"product": "x", "amount": "1", "term_months": 1})
    app.location = "denied"
    app.call("POST", "/api/v1/applications", {"product": "x", "amount": "1", "term_months": 1})
    app.call("POST", "/api/v1/devices/current/integrity", {"hooking": True})
    client.cookies.clear()
    sign_in_staff(client, make_staff("support"))
    page = client.get(f"/backoffice/clients/{person.pk}/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert (
        "Места денежных операций" in page and "43.23895, 76.88971" in page and "в разрешении отказано" in page
    )
    assert f'data-device="{app.device_id}"' in page and "под угрозой" in page and "перехват" in page
