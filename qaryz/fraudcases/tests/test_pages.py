"""Back-office pages of the fraud-victim cases: register, list with due today / overdue, case card
with its deadlines and actions; rendered in Russian and Kazakh with no English left (R-ACC-1)."""

from __future__ import annotations

import datetime as dt
import re

import polib
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from qaryz.access.testing import make_staff, sign_in_staff
from qaryz.fraudcases.models import FraudCase
from qaryz.fraudcases.tests.helpers import PDF, START, register
from qaryz.servicing.tests.factories import active_loan

pytestmark = pytest.mark.django_db
CATALOGUE = "qaryz/fraudcases/locale/ru/LC_MESSAGES/django.po"


def english_left(body: str) -> list[str]:
    """Source strings of this room's catalogue that appear untranslated as a page's text."""
    text = re.sub(r"<[^>]+>", "\n", body)
    lines = {line.strip() for line in text.splitlines() if line.strip()}
    sources = {e.msgid for e in polib.pofile(CATALOGUE) if len(e.msgid) > 3 and "%" not in e.msgid}
    return sorted(line for line in lines if line in sources or line.rstrip(":") in sources)


@pytest.mark.req("R-FRAUD-2", "R-ACC-1")
@pytest.mark.parametrize("language", ["ru", "kk"])
def test_register_list_and_case_pages_in_russian_and_kazakh(client, lending_setup, language):
    loan = active_loan(lending_setup, START)
    sign_in_staff(client, make_staff("compliance"))
    client.cookies["django_language"] = language
    form = client.get("/backoffice/fraud-cases/new/")
    assert form.status_code == 200 and english_left(form.content.decode()) == []
    response = client.post(
        "/backoffice/fraud-cases/new/",
        {
            "loans": loan.number,
            "kind": "submission",
            "received_on": (dt.date.today() - dt.timedelta(days=1)).isoformat(),
            "authority": "ДП г. Алматы",
            "reference_number": "241500031000777",
            "document": SimpleUploadedFile("predstavlenie.pdf", PDF, content_type="application/pdf"),
        },
    )
    case = FraudCase.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/backoffice/fraud-cases/{case.pk}/"
    card = client.get(response["Location"]).content.decode()
    assert case.number in card and "predstavlenie.pdf" in card and 'data-step="suspension"' in card
    assert english_left(card) == []
    listing = client.get("/backoffice/fraud-cases/?show=all").content.decode()
    assert case.number in listing and english_left(listing) == []
    expected = {"ru": "Дела пострадавших от мошенничества", "kk": "Алаяқтықтан зардап шеккендердің істері"}
    assert expected[language] in listing


def test_bad_input_is_a_message_not_a_500(client, lending_setup):
    loan = active_loan(lending_setup, START)
    sign_in_staff(client, make_staff("compliance"))
    client.cookies["django_language"] = "ru"
    future = (dt.date.today() + dt.timedelta(days=400)).isoformat()
    response = client.post(
        "/backoffice/fraud-cases/new/",
        {
            "loans": "NO-SUCH-1",
            "kind": "submission",
            "received_on": future,
            "authority": "x",
            "reference_number": "1",
        },
    )
    assert response.status_code == 200 and "NO-SUCH-1" in response.content.decode()
    response = client.post(
        "/backoffice/fraud-cases/new/",
        {
            "loans": loan.number,
            "kind": "submission",
            "received_on": START.isoformat(),
            "authority": "x",
            "reference_number": "1",
            "document": SimpleUploadedFile("virus.exe", b"MZ\x90\x00", content_type="application/pdf"),
        },
    )
    assert response.status_code == 200 and "PDF, JPEG" in response.content.decode()
    assert not FraudCase.objects.exists()
    case = register(loan, make_staff("compliance"))
    bad = client.post(f"/backoffice/fraud-cases/{case.pk}/resume/", {"cancelled_on": "nonsense"})
    assert bad.status_code == 400


def test_support_cannot_open_the_cases_and_security_cannot_act(client, lending_setup):
    loan = active_loan(lending_setup, START)
    case = register(loan, make_staff("compliance"))
    sign_in_staff(client, make_staff("support"))
    assert client.get("/backoffice/fraud-cases/").status_code == 403
    client.logout()
    sign_in_staff(client, make_staff("security"))
    assert client.get(f"/backoffice/fraud-cases/{case.pk}/").status_code == 200
    assert client.post(f"/backoffice/fraud-cases/{case.pk}/suspend/").status_code == 403
