"""The back-office credit-bureau page (R-CB-1, R-ACC-1): responsible persons, feed days with counts
accepted and rejected, rejected records with the reason in words – in Russian and Kazakh."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.conf import settings

from qaryz.access.testing import make_staff, sign_in_staff
from qaryz.bureau import demo, services
from qaryz.bureau.models import Record, ResponsiblePerson
from qaryz.bureau.tests.helpers import current_loan, overdue_loan, reporter
from qaryz.records.models import AuditEvent

pytestmark = pytest.mark.django_db

WORDS = {
    "ru": [
        "Ответственные лица",
        "bureau-ivanova",
        "Передаёт сегодня",
        "Отклонённые записи",
        "ИИН или БИН заёмщика недействителен (неверная контрольная цифра).",
    ],
    "kk": [
        "Жауапты тұлғалар",
        "bureau-ivanova",
        "Бүгін жібереді",
        "Қабылданбаған жазбалар",
        "Қарыз алушының ЖСН немесе БСН жарамсыз (бақылау цифры қате).",
    ],
}


def a_feed_with_a_rejection(product) -> dt.date:
    late, day = overdue_loan(product)
    current_loan(product, day)
    reporter()
    services.generate_feed(day)
    iin = late.client.iin
    Record.objects.filter(loan=late).update(subject_id=iin[:11] + str((int(iin[11]) + 1) % 10))
    services.send_feed(day)
    return day


@pytest.mark.req("R-CB-1", "R-ACC-1")
@pytest.mark.parametrize("language", ["ru", "kk"])
def test_the_page_lists_persons_days_and_rejections_in_words(client, lending_setup, language):
    day = a_feed_with_a_rejection(lending_setup)
    user = make_staff("compliance")
    sign_in_staff(client, user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get("/bureau/", HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    body = page.content.decode()
    assert f'<html lang="{language}">' in body
    for words in WORDS[language]:
        assert words in body, words
    # the feed day row: 2 loans, 1 accepted, 1 rejected; the link to that day's rejections
    assert day.strftime("%d.%m.%Y") in body and f"?day={day.isoformat()}" in body
    assert '<td class="num">2</td><td class="num">1</td>' in body
    for code in ("invalid_subject", "reporter", "daily", "overdue", "generated"):
        assert f">{code}<" not in body and f" {code} " not in body  # words, never codes
    assert AuditEvent.objects.filter(action="staff.viewed_bureau_reporting", actor_id=str(user.pk)).exists()
    filtered = client.get(f"/bureau/?day={day.isoformat()}", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert WORDS[language][-1] in filtered
    bad = client.get("/bureau/?day=31.02", HTTP_ACCEPT_LANGUAGE=language)
    assert bad.status_code == 200


def test_the_page_needs_the_permission_and_says_when_nobody_is_responsible(client, lending_setup):
    sign_in_staff(client, make_staff("cash_desk"))
    assert client.get("/bureau/").status_code == 403
    client.logout()
    sign_in_staff(client, make_staff("accountant"))
    body = client.get("/bureau/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Список пуст: данные нельзя передать, пока не добавлено ответственное лицо." in body


@pytest.mark.req("R-CB-1")
def test_demo_names_the_responsible_persons(lending_setup):
    from qaryz.access import demo as access_demo

    access_demo.load_demo(io.StringIO())
    out = io.StringIO()
    demo.load_demo(out)
    demo.load_demo(out)  # idempotent
    accounts = dict(ResponsiblePerson.objects.values_list("account", "user__username"))
    assert accounts == {"demo-bureau-reporter": "compliance", settings.LENDING_BUREAU_ACCOUNT: "underwriter"}
    assert services.active_reporter(dt.date.today()).account == "demo-bureau-reporter"
    assert "demo-bureau-reporter belongs to staff user compliance" in out.getvalue()
