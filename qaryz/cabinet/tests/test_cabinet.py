"""Cabinet shell: MFO details (R-CAB-2), notifications (R-AUTH-6), languages, branding (R-WEB-1)."""

import pytest

from qaryz.access.testing import make_client, sign_in_client
from qaryz.core.demo import DEMO_PROFILE
from qaryz.core.models import MfoProfile
from qaryz.messaging.models import Notification
from qaryz.messaging.services import notify_client


@pytest.mark.req("R-CAB-2")
@pytest.mark.django_db
def test_mfo_details_page(client):
    MfoProfile.objects.create(**DEMO_PROFILE)
    sign_in_client(client, make_client())
    body = client.get("/cabinet/mfo/").content.decode()
    for field in (
        "legal_name",
        "first_head_full_name",
        "legal_address",
        "actual_address",
        "phones",
        "fax",
        "email",
        "other_contacts",
    ):
        assert (
            DEMO_PROFILE[field].replace("«", "&laquo;").replace("»", "&raquo;") in body
            or DEMO_PROFILE[field] in body
        ), field


@pytest.mark.req("R-AUTH-6", "R-CAB-7")
@pytest.mark.django_db
def test_notifications_listed_and_marked_read(client):
    person = make_client()
    note = notify_client(person, "Пароль изменён", "Ваш пароль изменён")
    other = notify_client(make_client(), "Чужое", "Чужое уведомление")
    sign_in_client(client, person)
    body = client.get("/cabinet/").content.decode()
    assert "Пароль изменён" in body and "Чужое" not in body
    client.post(f"/cabinet/notifications/{other.pk}/read/")
    assert Notification.objects.get(pk=other.pk).read_at is None  # not the client's
    client.post(f"/cabinet/notifications/{note.pk}/read/")
    assert Notification.objects.get(pk=note.pk).read_at is not None


@pytest.mark.req("R-WEB-1", "R-WEB-4")
@pytest.mark.django_db
@pytest.mark.parametrize(("language", "phrase"), [("ru", "Войти"), ("kk", "кіру"), ("en", "Sign in")])
def test_login_page_in_three_languages(client, language, phrase):
    client.cookies["django_language"] = language
    body = client.get("/login/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert phrase in body
    assert 'id="cyber-hygiene"' in body


@pytest.mark.req("R-WEB-1")
@pytest.mark.django_db
def test_branding_colours_from_profile(client):
    MfoProfile.objects.create(**{**DEMO_PROFILE, "primary_color": "#123456", "short_name": "Жарық МФО"})
    assert "#123456" in client.get("/brand.css").content.decode()
    assert "Жарық МФО" in client.get("/login/").content.decode()
