"""Regulator notices (R-REG-1..2, Rules §4–5): generated from the channel's configuration, due 10
working days before, a channel opens only after that, a changed service list needs a new notice."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError

from qaryz.regulator import selectors, services
from qaryz.regulator.models import Channel, Notice

pytestmark = pytest.mark.django_db
ALMATY = ZoneInfo("Asia/Almaty")


def at(day: dt.date):
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, 10, tzinfo=ALMATY), tick=False)


def channel(services_list=("registration", "application", "signing")) -> Channel:
    return services.save_channel(
        Channel(
            kind="mobile_app",
            name="Qaryz Mobile",
            address="Google Play: kz.qaryz.app",
            security_procedures="Порядок обеспечения безопасности, протокол № 31 от 31.03.2026",
        ),
        list(services_list),
        actor="system",
    )


@pytest.mark.req("R-REG-1")
def test_notice_is_generated_from_the_configuration_with_its_due_date():
    app = channel()
    with at(dt.date(2024, 4, 22)):
        # opening Mon 13 May 2024: ten working days back skip 7–9 May and count Sat 4 May (transferred)
        notice, created = services.prepare_notice(app, effective_on=dt.date(2024, 5, 13), actor="system")
    assert created and notice.kind == Notice.Kind.NEW
    assert notice.send_by == dt.date(2024, 4, 24)
    assert "Qaryz Mobile" in notice.text_ru and "Google Play: kz.qaryz.app" in notice.text_ru
    assert "Регистрация в личном кабинете" in notice.text_ru and "протокол № 31" in notice.text_ru
    assert "пункт" in notice.text_ru.lower() and notice.text_kk != notice.text_ru
    assert "Registration" not in notice.text_kk and "Qaryz Mobile" in notice.text_kk
    again, created = services.prepare_notice(app, effective_on=dt.date(2024, 5, 13), actor="system")
    assert not created and again.pk == notice.pk


@pytest.mark.req("R-REG-1")
def test_a_date_closer_than_ten_working_days_is_refused():
    app = channel()
    with at(dt.date(2024, 5, 2)), pytest.raises(services.RegulatorError) as exc:
        services.prepare_notice(app, effective_on=dt.date(2024, 5, 10), actor="system")
    assert "20.05.2024" in exc.value.message  # Thu 2 May + 10 working days (Sat 4 May works, 7–9 May off)


@pytest.mark.req("R-REG-1")
def test_a_channel_opens_only_ten_working_days_after_the_notice_was_sent():
    app = channel()
    with at(dt.date(2024, 4, 1)):
        notice, _ = services.prepare_notice(app, effective_on=dt.date(2024, 4, 22), actor="system")
        with pytest.raises(services.RegulatorError):  # not sent yet
            services.put_into_effect(notice, actor="system")
    with at(dt.date(2024, 4, 15)):
        notice = services.mark_sent(notice, sent_on=dt.date(2024, 4, 15), reference="исх. 7", actor="system")
    assert services.earliest_effect(notice) == dt.date(
        2024, 4, 29
    )  # sent late: the planned 22 April is too early
    with at(dt.date(2024, 4, 26)), pytest.raises(services.RegulatorError) as exc:
        services.put_into_effect(notice, actor="system")
    assert "29.04.2024" in exc.value.message
    app.refresh_from_db()
    assert not app.enabled and selectors.services_in_effect(app) == []
    with at(dt.date(2024, 4, 29)):
        app = services.put_into_effect(notice, actor="system")
    assert app.enabled and selectors.services_in_effect(app) == ["application", "registration", "signing"]


@pytest.mark.req("R-REG-2")
def test_a_changed_service_list_produces_a_new_notice_and_waits_for_it():
    app = channel()
    with at(dt.date(2024, 4, 1)):
        first, _ = services.prepare_notice(app, effective_on=dt.date(2024, 4, 15), actor="system")
        services.mark_sent(first, sent_on=dt.date(2024, 4, 1), reference="исх. 1", actor="system")
    with at(dt.date(2024, 4, 15)):
        services.put_into_effect(first, actor="system")
        services.save_channel(app, ["registration", "application", "signing", "payout"], actor="system")
        with pytest.raises(services.RegulatorError):  # the notice in effect no longer matches
            services.put_into_effect(first, actor="system")
        change, created = services.prepare_notice(app, effective_on=dt.date(2024, 5, 2), actor="system")
    assert created and change.kind == Notice.Kind.CHANGE and change.pk != first.pk
    assert "Выдача микрокредита" in change.text_ru and "пункт" in change.text_ru.lower()
    app.refresh_from_db()
    assert app.enabled and "payout" not in selectors.services_in_effect(app)  # the old list stays in effect
    with at(dt.date(2024, 4, 16)):
        services.mark_sent(change, sent_on=dt.date(2024, 4, 16), reference="исх. 2", actor="system")
    with at(dt.date(2024, 5, 2)):
        app = services.put_into_effect(change, actor="system")
    assert "payout" in selectors.services_in_effect(app)


def test_the_database_refuses_an_open_channel_without_a_notice():
    app = channel()
    with pytest.raises(IntegrityError):
        Channel.objects.filter(pk=app.pk).update(enabled=True)
