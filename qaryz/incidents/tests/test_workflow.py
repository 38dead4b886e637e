"""The incident register's workflow (R-INC-1, R-FRAUD-1): deadlines in working days across
holidays and transferred days, the dashboard of what is due and overdue, generated notices, letters
to affected clients in their language, recovery up to the confirmation of the normal state."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from qaryz.access.testing import make_client
from qaryz.incidents import selectors, services
from qaryz.incidents.models import Incident

pytestmark = pytest.mark.django_db
ALMATY = ZoneInfo("Asia/Almaty")


def at(year, month, day, hour=10):
    return time_machine.travel(dt.datetime(year, month, day, hour, tzinfo=ALMATY), tick=False)


@pytest.mark.req("R-INC-1")
@pytest.mark.parametrize(
    ("reported", "inform_due", "measures_due"),
    [
        # Sat 4 Jan 2025: Sun 5 Jan is a working day (transfer for Fri 3 Jan), Tue 7 Jan is Christmas.
        (dt.date(2025, 1, 4), dt.date(2025, 1, 5), dt.date(2025, 1, 6)),
        # Mon 6 Jan 2025: Tue 7 Jan (Orthodox Christmas) is off.
        (dt.date(2025, 1, 6), dt.date(2025, 1, 8), dt.date(2025, 1, 9)),
        # Fri 3 May 2024: Sat 4 May is a working day (transfer for Wed 8 May), 7–9 May are off.
        (dt.date(2024, 5, 3), dt.date(2024, 5, 4), dt.date(2024, 5, 6)),
        # Fri 20 Dec 2024: plain weekend.
        (dt.date(2024, 12, 20), dt.date(2024, 12, 23), dt.date(2024, 12, 24)),
    ],
)
def test_deadlines_in_working_days(reported, inform_due, measures_due):
    with at(reported.year, reported.month, reported.day):
        incident = services.register_incident(kind="outage", summary="Кабинет недоступен", actor="system")
    assert (incident.inform_due, incident.measures_due) == (inform_due, measures_due)


@pytest.mark.req("R-INC-1")
def test_the_deadline_settings_are_used(settings):
    settings.INCIDENT_MEASURES_WORKING_DAYS = 3
    settings.INCIDENT_INFORM_WORKING_DAYS = 2
    with at(2024, 12, 20):
        incident = services.register_incident(kind="fraud", summary="x", actor="system")
    assert (incident.inform_due, incident.measures_due) == (dt.date(2024, 12, 24), dt.date(2024, 12, 25))


@pytest.mark.req("R-INC-1")
def test_dashboard_shows_due_and_overdue_then_done():
    with at(2024, 5, 3):
        incident = services.register_incident(
            kind="unauthorised_access", summary="Доступ к базе", actor="system"
        )
        services.add_affected_client(incident, make_client(), actor="system")
    with at(2024, 5, 6):  # the authority was due on Sat 4 May (a working day), measures today
        states = {t.code: t.state for t in selectors.tasks(incident)}
        assert states == {
            "measures": "due_today",
            "authority": "overdue",
            "clients": "overdue",
            "recovery": "open",
        }
        board = selectors.dashboard()
        assert board["counts"]["overdue"] == 2 and board["items"][0].state == "overdue"
        services.record_measures(incident, "Доступ закрыт, пароли сменены", actor="system")
        notice = services.prepare_notice(incident, recipient_kind="authority", actor="system")
        services.mark_notice_sent(notice, reference="исх. № 12", actor="system")
        assert services.inform_clients(incident, actor="system") == 1
        incident.refresh_from_db()
        states = {t.code: t.state for t in selectors.tasks(incident)}
    assert states == {"measures": "done", "authority": "late", "clients": "late", "recovery": "open"}


@pytest.mark.req("R-INC-1")
def test_notices_carry_the_mfo_details_in_the_chosen_language():
    from qaryz.core.models import MfoProfile

    MfoProfile.objects.create(
        short_name="Qaryz",
        legal_name="ТОО «МФО Qaryz»",
        legal_name_kk="«Qaryz МҚҰ» ЖШС",
        bin="123456789012",
        first_head_full_name="Иванов И. И.",
        legal_address="г. Алматы",
        actual_address="г. Алматы",
        phones="+7 727 000 00 00",
        email="info@qaryz.kz",
        website="qaryz.kz",
    )
    incident = services.register_incident(
        kind="unauthorised_change", summary="Изменены реквизиты", actor="system"
    )
    ru = services.prepare_notice(incident, recipient_kind="authority", language="ru", actor="system")
    kk = services.prepare_notice(
        incident, recipient_kind="creditor", recipient_name="АО «Банк»", language="kk", actor="system"
    )
    assert "ТОО «МФО Qaryz»" in ru.body and "123456789012" in ru.body and "Агентство" in ru.recipient_name
    assert "Изменены реквизиты" in ru.body and "пункт" in ru.body
    assert "«Qaryz МҚҰ» ЖШС" in kk.body and kk.recipient_name == "АО «Банк»" and "Unauthorised" not in kk.body
    with pytest.raises(services.IncidentError):
        services.prepare_notice(
            incident, recipient_kind="service_provider", recipient_name=" ", actor="system"
        )
    with pytest.raises(services.IncidentError):
        services.mark_notice_sent(ru, reference=" ", actor="system")


@pytest.mark.req("R-INC-1")
def test_affected_clients_get_a_letter_in_their_language_once():
    from qaryz.messaging.models import Letter

    incident = services.register_incident(kind="fraud", summary="Кредит на третье лицо", actor="system")
    kazakh = make_client(preferred_language="kk")
    russian = make_client()
    services.add_affected_client(incident, kazakh, actor="system")
    services.add_affected_client(incident, russian, actor="system")
    assert services.inform_clients(incident, actor="system") == 2
    assert services.inform_clients(incident, actor="system") == 0
    letters = {
        letter.client_id: letter
        for letter in Letter.objects.filter(reference=f"incidents.incident:{incident.pk}")
    }
    assert letters[kazakh.pk].language == "kk" and letters[russian.pk].language == "ru"
    assert (
        "инцидент" in letters[russian.pk].body.lower() and letters[kazakh.pk].body != letters[russian.pk].body
    )


@pytest.mark.req("R-INC-1")
def test_recovery_needs_every_step_and_the_normal_state_before_closing():
    incident = services.register_incident(kind="outage", summary="Сбой БД", actor="system")
    with pytest.raises(services.IncidentError):
        services.confirm_normal_state(incident, evidence="проверено", actor="system")  # no measures yet
    services.record_measures(incident, "Переключено на резерв", actor="system")
    with pytest.raises(services.IncidentError):
        services.confirm_normal_state(incident, evidence="проверено", actor="system")  # no restore step
    restore = services.add_step(incident, kind="restore", description="Восстановить из копии", actor="system")
    fix = services.add_step(incident, kind="vulnerability", description="Обновить СУБД", actor="system")
    services.complete_step(restore, result="Восстановлено", actor="system")
    with pytest.raises(services.IncidentError):
        services.confirm_normal_state(incident, evidence="проверено", actor="system")  # a step is open
    services.complete_step(fix, result="Обновлено", actor="system")
    with pytest.raises(services.IncidentError):
        services.close_incident(incident, actor="system")  # normal state not confirmed
    services.confirm_normal_state(
        incident, evidence="Контрольные суммы совпали, тестовый вход прошёл", actor="system"
    )
    with pytest.raises(services.IncidentError):
        services.close_incident(incident, actor="system")  # the authority not informed
    notice = services.prepare_notice(incident, recipient_kind="authority", actor="system")
    services.mark_notice_sent(notice, reference="e-mail 05.12", actor="system")
    closed = services.close_incident(incident, actor="system")
    assert closed.status == Incident.Status.CLOSED
    with pytest.raises(services.IncidentError):
        services.add_step(closed, kind="other", description="x", actor="system")


def test_the_database_refuses_closing_without_the_normal_state():
    from django.db import IntegrityError

    incident = services.register_incident(kind="outage", summary="x", actor="system")
    with pytest.raises(IntegrityError):
        Incident.objects.filter(pk=incident.pk).update(status="closed")
