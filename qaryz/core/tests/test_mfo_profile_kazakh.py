"""The MFO profile's Kazakh variants (issue 11): a Kazakh reader sees the Kazakh legal name,
addresses, licence, phones and bank; a blank Kazakh field falls back to Russian; Russian and
English keep the Russian values. Pages follow the request's language."""

from __future__ import annotations

import io

import pytest

from qaryz.core import demo
from qaryz.core.demo import DEMO_PROFILE
from qaryz.core.models import TRANSLATED_FIELDS, MfoProfile
from qaryz.core.selectors import mfo_profile_in
from qaryz.records.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_in_language_uses_the_kazakh_variants_and_falls_back_to_russian():
    MfoProfile.objects.create(**{**DEMO_PROFILE, "actual_address_kk": ""})
    kk = mfo_profile_in("kk")
    assert kk.legal_name == DEMO_PROFILE["legal_name_kk"] and kk.licence == DEMO_PROFILE["licence_kk"]
    assert kk.actual_address == DEMO_PROFILE["actual_address"]  # blank Kazakh: the Russian one
    for language in ("ru", "en"):
        profile = mfo_profile_in(language)
        assert all(getattr(profile, name) == DEMO_PROFILE[name] for name in TRANSLATED_FIELDS)
    # The copy is not saved over the row.
    assert MfoProfile.objects.get().legal_name == DEMO_PROFILE["legal_name"]


@pytest.mark.req("R-WEB-1")
def test_pages_show_the_mfo_in_the_page_language(client):
    MfoProfile.objects.create(**DEMO_PROFILE)
    kk = client.get("/", HTTP_ACCEPT_LANGUAGE="kk").content.decode()
    assert DEMO_PROFILE["legal_address_kk"] in kk and DEMO_PROFILE["legal_address"] not in kk
    ru = client.get("/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert DEMO_PROFILE["legal_address"] in ru and DEMO_PROFILE["legal_address_kk"] not in ru


def test_an_older_demo_profile_gets_the_kazakh_values_audited():
    MfoProfile.objects.create(**{k: v for k, v in DEMO_PROFILE.items() if not k.endswith("_kk")})
    demo.load_demo(io.StringIO())
    profile = MfoProfile.objects.get()
    assert profile.legal_name_kk == DEMO_PROFILE["legal_name_kk"]
    assert AuditEvent.objects.filter(action__startswith="core.mfoprofile").exists()
