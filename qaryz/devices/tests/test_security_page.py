"""The security page (R-AUTH-6) in the cabinet and the API: active sessions and devices with where
and when, recent sign-ins, and revoking any of them."""

from __future__ import annotations

import pytest

from qaryz.access.models import ClientSession
from qaryz.access.services import issue_api_token
from qaryz.access.testing import make_client, sign_in_client
from qaryz.devices.models import Device, TokenFamily

pytestmark = [pytest.mark.django_db, pytest.mark.req("R-AUTH-6", "R-MOB-1")]


def test_page_lists_sessions_devices_and_sign_ins(client, signed_in_app):
    person, app = signed_in_app()
    assert (
        app.call(
            "POST", "/api/v1/applications", {"product": "none", "amount": "1", "term_months": 1}
        ).status_code
        == 422
    )
    issue_api_token(person, device_id="server-42")
    web = sign_in_client(client, person)
    page = client.get("/cabinet/security/", HTTP_ACCEPT_LANGUAGE="ru")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Активные сеансы" in text and "Устройства с приложением Qaryz" in text and "Недавние входы" in text
    assert "Pixel 8" in text and "server-42" in text and "этот сеанс" in text
    assert f'data-device="{app.device_id}"' in text and "около 43.24, 76.89" in text
    assert f'data-session="{web.pk}"' in text
    kk = client.get("/cabinet/security/", HTTP_ACCEPT_LANGUAGE="kk").content.decode()
    assert "Белсенді сеанстар" in kk and "Соңғы кірулер" in kk


def test_revoke_a_device_from_the_cabinet(client, signed_in_app, audited):
    person, app = signed_in_app()
    sign_in_client(client, person)
    answer = client.post(f"/cabinet/security/devices/{app.device_id}/revoke/", follow=True)
    assert "Устройство отвязано" in answer.content.decode()
    assert Device.objects.get().revoked_at is not None and TokenFamily.objects.get().revoked_at is not None
    assert app.call("GET", "/api/v1/access/me").status_code == 401
    assert app.renew().status_code == 401
    assert "devices.revoked" in audited()


def test_revoke_a_session_from_the_cabinet(client, signed_in_app):
    person, app = signed_in_app()
    bound = ClientSession.objects.get(device_binding__isnull=False)
    web = sign_in_client(client, person)
    client.post(f"/cabinet/security/sessions/{bound.pk}/revoke/")
    assert app.call("GET", "/api/v1/access/me").status_code == 401
    assert app.renew().status_code == 401  # the refresh family ends with the session
    # Another client's session cannot be ended from here.
    other = sign_in_client(type(client)(), make_client())
    answer = client.post(f"/cabinet/security/sessions/{other.pk}/revoke/", follow=True)
    assert "уже завершён" in answer.content.decode()
    assert ClientSession.objects.get(pk=other.pk).ended_at is None
    # Ending the current session signs out.
    answer = client.post(f"/cabinet/security/sessions/{web.pk}/revoke/")
    assert answer.status_code == 302 and client.get("/cabinet/security/").status_code == 302


def test_revoke_only_by_post(client):
    person = make_client()
    sign_in_client(client, person)
    assert client.get("/cabinet/security/sessions/1/revoke/").status_code == 405


def test_security_api(client, signed_in_app):
    person, app = signed_in_app()
    token, other = issue_api_token(person, device_id="tablet")
    body = app.call("GET", "/api/v1/devices/security").json()
    assert {s["device"] for s in body["sessions"]} == {"Pixel 8", "tablet"}
    assert [d["id"] for d in body["devices"]] == [app.device_id] and body["devices"][0]["current"]
    assert any(s["current"] for s in body["sessions"]) and len(body["recent_logins"]) == 2
    assert app.call("POST", f"/api/v1/devices/sessions/{other.pk}/revoke").json() == {"status": "ok"}
    assert client.get("/api/v1/access/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert app.call("POST", f"/api/v1/devices/sessions/{other.pk}/revoke").status_code == 404
    assert app.call("POST", "/api/v1/devices/nope/revoke").status_code == 404
    assert app.call("POST", f"/api/v1/devices/{app.device_id}/revoke").status_code == 200
    assert app.call("GET", "/api/v1/devices/security").status_code == 401


def test_security_page_data_of_an_unbound_token(client):
    person = make_client()
    token, _session = issue_api_token(person, device_id="web-app")
    answer = client.get("/api/v1/devices/security", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 200 and answer.json()["devices"] == []
    assert client.get("/api/v1/devices/current", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 400
