"""The workbench (issue 14 item 1): queues per role with counts (pluggable), filtered paginated
lists, the client card's history, personal data masked by default and revealed on purpose with
an audited reason, the audit viewer in the navigation with readable events and local times."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from qaryz.access.testing import make_client, make_staff, sign_in_staff
from qaryz.backoffice import queues
from qaryz.clients.models import Client
from qaryz.records.descriptions import describe
from qaryz.records.models import AuditEvent
from qaryz.records.services import record_event

pytestmark = pytest.mark.django_db


def _staff(client, role):
    user = make_staff(role)
    sign_in_staff(client, user)
    return user


@pytest.fixture
def scratch_queue():
    saved = dict(queues._QUEUES)
    yield
    queues._QUEUES.clear()
    queues._QUEUES.update(saved)


@pytest.mark.req("R-ACC-1")
def test_dashboard_shows_the_queues_of_the_role_with_counts(client, scratch_queue):
    queues.register_queue(
        "test_blocked",
        "Blocked clients",
        "clients.view_client_data",
        lambda user: Client.objects.filter(status=Client.Status.BLOCKED).count(),
        "backoffice:clients",
    )
    for _n in range(3):
        make_client(status=Client.Status.BLOCKED)
    _staff(client, "support")
    page = client.get("/backoffice/").content.decode()
    tile = re.search(r'data-queue="test_blocked">(.*?)</li>', page, re.S).group(1)
    assert 'href="/backoffice/clients/"' in tile and ">3<" in tile
    assert 'data-queue="letters"' in page  # support answers letters
    assert 'data-queue="underwriting"' not in page and 'data-queue="write_offs"' not in page
    client.cookies.clear()
    _staff(client, "administrator")  # no client data: the queue is not shown
    assert 'data-queue="test_blocked"' not in client.get("/backoffice/").content.decode()


@pytest.mark.req("R-ACC-1")
def test_a_queue_registered_again_replaces_the_first_and_a_failing_count_shows_a_dash(client, scratch_queue):
    from django.db import DatabaseError

    def broken(user):
        raise DatabaseError("no such table")

    queues.register_queue("letters", "Replaced letters", "correspondence.view_thread", broken, None)
    _staff(client, "support")
    page = client.get("/backoffice/").content.decode()
    tile = re.search(r'data-queue="letters">(.*?)</li>', page, re.S).group(1)
    assert "Replaced letters" in tile and "—" in tile and "href" not in tile
    assert [q.key for q in queues.registered()].count("letters") == 1


@pytest.mark.req("R-PRE-1", "R-ACC-1")
def test_the_underwriting_queue_counts_applications_in_review(client, lending_setup):
    from qaryz.backoffice.tests.test_review_queues import bureau_review

    bureau_review(lending_setup)
    _staff(client, "underwriter")
    page = client.get("/backoffice/").content.decode()
    tile = re.search(r'data-queue="underwriting">(.*?)</li>', page, re.S).group(1)
    assert ">1<" in tile and "/backoffice/applications/" in tile


@pytest.mark.req("R-ACC-1")
def test_client_list_filters_and_pages(client):
    for _n in range(55):
        make_client(kind=Client.Kind.INDIVIDUAL)
    entrepreneur = make_client(kind=Client.Kind.ENTREPRENEUR, surname="Предпринимателев")
    _staff(client, "support")
    first = client.get("/backoffice/clients/").content.decode()
    assert ": 56)" in first and "page=2" in first
    second = client.get("/backoffice/clients/", {"page": 2}).content.decode()
    assert second.count('href="/backoffice/clients/') - second.count('href="/backoffice/clients/"') == 6
    only = client.get("/backoffice/clients/", {"kind": "entrepreneur"}).content.decode()
    assert "Предпринимателев" in only and ": 1)" in only
    by_iin = client.get("/backoffice/clients/", {"q": entrepreneur.iin}).content.decode()
    table = by_iin.split('id="clients"')[1]
    assert f"/backoffice/clients/{entrepreneur.pk}/" in table and entrepreneur.iin not in table
    bad = client.get("/backoffice/clients/", {"since": "not-a-date", "kind": "robot"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()


@pytest.mark.req("R-ACC-1")
def test_application_contract_and_loan_lists_filter_by_status(client, lending_setup):
    from qaryz.servicing.tests.factories import active_loan

    loan = active_loan(lending_setup, timezone.localdate())
    _staff(client, "underwriter")
    apps_page = client.get("/backoffice/applications/all/", {"status": "disbursed"}).content.decode()
    disbursed = loan.application.status
    assert (f"#{loan.application_id}<" in apps_page) == (disbursed == "disbursed")
    none = client.get("/backoffice/applications/all/", {"status": "draft"}).content.decode()
    assert f"#{loan.application_id}<" not in none
    contracts = client.get("/backoffice/contracts/", {"q": loan.contract.number}).content.decode()
    assert loan.contract.number in contracts and "signed" not in re.sub(r"<[^>]+>", "", contracts).split()
    loans = client.get("/backoffice/loans/", {"bucket": "0", "status": "active"}).content.decode()
    assert loan.number in loans
    overdue = client.get("/backoffice/loans/", {"bucket": "2"}).content.decode()
    assert loan.number not in overdue


@pytest.mark.req("R-ACC-1", "R-AUD-1")
def test_personal_data_is_masked_by_default_and_revealed_with_an_audited_reason(client):
    person = make_client()
    _staff(client, "support")
    card = client.get(f"/backoffice/clients/{person.pk}/").content.decode()
    assert person.iin not in card and person.iin[-4:] in card
    assert person.phone not in card and person.phone[-2:] in card
    assert 'name="field" value="id_number"' in card and 'name="field" value="phone"' in card

    short = client.post(f"/backoffice/clients/{person.pk}/reveal/", {"field": "id_number", "reason": "x"})
    assert short.status_code == 302
    assert not AuditEvent.objects.filter(action="staff.revealed_personal_data").exists()
    assert person.iin not in client.get(f"/backoffice/clients/{person.pk}/").content.decode()

    url = f"/backoffice/clients/{person.pk}/"
    done = client.post(
        f"/backoffice/clients/{person.pk}/reveal/",
        {"field": "id_number", "reason": "Клиент звонит, сверка ИИН", "next": url},
    )
    assert done.status_code == 302 and done["Location"] == url
    event = AuditEvent.objects.get(action="staff.revealed_personal_data")
    assert event.target_id == str(person.pk) and "сверка ИИН" in event.data and event.category == "security"
    shown = client.get(url).content.decode()
    assert person.iin in shown and person.phone not in shown  # only the field asked for
    assert person.iin not in client.get(url).content.decode()  # once: masked again

    # an outside "next" is not followed
    away = client.post(
        f"/backoffice/clients/{person.pk}/reveal/",
        {"field": "phone", "reason": "проверка номера", "next": "https://evil.example/"},
    )
    assert away["Location"] == url


@pytest.mark.req("R-ACC-1")
def test_the_client_card_lists_applications_loans_and_letters(client, lending_setup):
    from qaryz.correspondence import services as letters
    from qaryz.servicing.tests.factories import active_loan

    loan = active_loan(lending_setup, timezone.localdate())
    letters.open_thread(loan.client, topic="repayment", subject="Вопрос о графике", body="Когда платить?")
    _staff(client, "support")
    with_lang = client.get(f"/backoffice/clients/{loan.client_id}/", HTTP_ACCEPT_LANGUAGE="ru")
    card = with_lang.content.decode()
    for section in (
        "client-applications",
        "client-loans",
        "client-biometrics",
        "client-signatures",
        "client-letters",
    ):
        assert f'id="{section}"' in card, section
    assert loan.number in card and "Вопрос о графике" in card
    assert f"#{loan.application_id}" in card
    text = re.sub(r"<[^>]+>", " ", card)
    for code in ("repayment", "contract_signing", "disbursed", "embedded", "due_today", "upcoming"):
        assert f" {code} " not in text, code


@pytest.mark.req("R-AUD-1", "R-SEC-1")
def test_the_audit_viewer_is_in_the_navigation_with_filters_and_readable_events(client, settings):
    person = make_client()
    user = _staff(client, "security")
    assert 'href="/records/audit/"' in client.get("/backoffice/").content.decode()
    record_event("staff.viewed_client", category="security", actor=user, target=person)
    record_event("zzz.something_new", actor="system")
    page = client.get("/records/audit/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "Просмотрена карточка клиента" in page and "Другое событие" in page
    visible = re.sub(r"<details.*?</details>", "", page, flags=re.S)
    assert "zzz.something_new" not in visible and "staff.viewed_client" not in visible
    assert 'href="/backoffice/clients/"' not in page  # the security officer has no client list
    assert "Asia/Almaty" in page
    # filters: kind, actor, object, local dates
    staff_only = client.get(
        "/records/audit/", {"group": "staff", "actor": user.get_username()}
    ).content.decode()
    assert "Просмотрена карточка клиента" in staff_only and "Другое событие" not in staff_only
    by_object = client.get(
        "/records/audit/", {"target_type": "clients.client", "target_id": str(person.pk)}
    ).content.decode()
    assert by_object.count("<tr>") >= 2 and "Другое событие" not in by_object
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert (
        "No events match"
        in client.get("/records/audit/", {"since": tomorrow}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )


@pytest.mark.req("R-AUD-1")
def test_event_codes_read_as_sentences_in_every_language():
    from django.utils import translation

    with translation.override("kk"):
        assert describe("staff.viewed_client") != "Viewed a client's card"
        assert describe("servicing.unheard_of") == translation.gettext("%(group)s: other event") % {
            "group": translation.gettext("Loan servicing")
        }
    with translation.override("en"):
        assert describe("lending.application_approved") == "Application approved"
        assert describe("clients.client.changed") == "Record changed: client"
        assert describe("nothing") == "Other event"
        revealed = describe("staff.revealed_personal_data", '{"field": "phone", "reason": "call"}')
        assert revealed == "Showed masked personal data: mobile phone. Reason: call"


@pytest.mark.req("R-PRE-1")
def test_the_decision_form_is_laid_out_as_stacked_fields(client, lending_setup):
    from qaryz.backoffice.tests.test_review_queues import bureau_review

    app = bureau_review(lending_setup)
    _staff(client, "underwriter")
    page = client.get(f"/backoffice/applications/{app.pk}/").content.decode()
    assert 'class="decision-forms"' in page and page.count('class="stack"') >= 2
    assert 'id="approve-form"' in page and 'id="decline-form"' in page
