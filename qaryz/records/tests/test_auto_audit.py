from __future__ import annotations

import json

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group, Permission
from django.test import Client as HttpClient
from django.test import RequestFactory

from qaryz.records.auditing import track
from qaryz.records.models import AuditEvent
from qaryz.records.selectors import security_events, verify_trail

pytestmark = pytest.mark.django_db


def _last(action: str) -> AuditEvent:
    return AuditEvent.objects.filter(action=action).order_by("-seq").first()


@pytest.mark.req("R-AUD-1")
def test_client_create_change_delete_are_audited_without_personal_data(client_obj):
    created = _last("clients.client.created")
    assert created.target_id == str(client_obj.pk)
    fields = json.loads(created.data)["fields"]
    assert fields["status"] == "registered"
    assert fields["iin"].startswith("hmac:") and "900101300123" not in created.data
    assert "Иванова" not in created.data

    client_obj.status = "confirmed"
    client_obj.phone = "+77019998877"
    client_obj.save()
    changed = json.loads(_last("clients.client.changed").data)["changes"]
    assert changed["status"] == ["registered", "confirmed"]
    assert changed["phone"][0] != changed["phone"][1] and "+7701" not in json.dumps(changed)

    client_obj.save()  # nothing changed: no event
    assert AuditEvent.objects.filter(action="clients.client.changed").count() == 1
    pk = client_obj.pk
    client_obj.delete()
    assert _last("clients.client.deleted").target_id == str(pk)
    assert verify_trail().ok


@pytest.mark.req("R-AUD-1", "R-SEC-1")
def test_staff_roles_and_flags_are_security_events(staff_user):
    role = Group.objects.create(name="credit officers")
    role.permissions.add(Permission.objects.get(codename="view_group"))
    staff_user.groups.add(role)
    staff_user.is_superuser = True
    staff_user.set_password("another-long-pass-2")
    staff_user.save()
    staff_user.groups.remove(role)

    membership = _last("auth.user.groups.add")
    assert membership.category == "security"
    assert membership.target_id == str(staff_user.pk)
    assert json.loads(membership.data)["related"] == ["credit officers"]
    assert _last("auth.user.groups.remove") is not None
    assert _last("auth.group.permissions.add").target_id == str(role.pk)
    changes = json.loads(_last("auth.user.changed").data)["changes"]
    assert changes["is_superuser"] == [False, True]
    assert changes["password"][1].startswith("hmac:") and "pbkdf2" not in json.dumps(changes)


@pytest.mark.req("R-SEC-1")
def test_failed_and_successful_staff_logins(staff_user):
    request = RequestFactory().post("/login/", REMOTE_ADDR="203.0.113.9")
    assert authenticate(request, username="auditor", password="wrong") is None
    failed = _last("auth.login_failed")
    assert (failed.category, failed.ip) == ("security", "203.0.113.9")
    assert json.loads(failed.data) == {"username": "auditor"}
    assert "wrong" not in failed.data
    http = HttpClient()
    http.force_login(staff_user)
    assert _last("auth.login").actor_id == str(staff_user.pk)
    assert security_events(action="auth.login_failed").count() == 1


@pytest.mark.req("R-SEC-1")
def test_refused_request_is_a_security_event():
    http = HttpClient(enforce_csrf_checks=True)
    response = http.post("/i18n/setlang/", {"language": "kk"}, HTTP_USER_AGENT="curl/8")
    assert response.status_code == 403
    event = _last("http.forbidden")
    assert event.category == "security"
    assert json.loads(event.data)["path"] == "/i18n/setlang/"
    assert event.user_agent == "curl/8" and event.request_id


def test_track_refuses_unknown_fields():
    with pytest.raises(ValueError, match="unknown field"):
        track(Group, fields=["nope"])
