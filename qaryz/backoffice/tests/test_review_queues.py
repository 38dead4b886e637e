"""Back-office review queues: the underwriter decides applications in manual review, the AML
officer concludes on possible list matches (R-PRE-1, R-AML-1, R-ACC-1, R-CB-1)."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from django.contrib.auth.models import Group
from django.utils import translation

from qaryz.access.testing import make_staff, sign_in_staff
from qaryz.compliance.models import Screening
from qaryz.lending import services
from qaryz.lending.models import Application, Decision
from qaryz.lending.tests.conftest import _fresh_bureau_memory, lending_setup  # noqa: F401
from qaryz.lending.tests.factories import make_client, make_iin
from qaryz.records.models import AuditEvent

pytestmark = pytest.mark.django_db


def _ru(text: str) -> str:
    """A message as the (Russian) back office shows it."""
    from django.utils.html import escape

    with translation.override("ru"):
        return escape(translation.gettext(text))


def _submitted(product, client, income="900000"):
    app = services.create_application(client, product, D("300000"), 12, "annuity")
    for key in services.ACK_KEYS:
        services.acknowledge(app, key)
    services.choose_disbursement(app, "bank_account", iban="KZ86125KZT5004100100")
    services.submit(app, monthly_income=D(income), bureau_consent=True)
    app.refresh_from_db()
    return app


def bureau_review(product):
    """In review because of 5 inquiries by other lenders in the last hour (bureau serial 93xx)."""
    app = _submitted(product, make_client(iin=make_iin("880720", "3", 9301)))
    assert app.status == "review", Decision.objects.get(application=app).rules
    return app


def aml_review(product):
    """In review because of a fuzzy match on the demo AML list (pending for the AML officer)."""
    client = make_client(
        iin="750101370025", surname="Жалғасбеков", given_name="Демобек", patronymic="Тестұлы"
    )
    app = _submitted(product, client)
    assert app.status == "review"
    return app


def staff_client(client, role):
    user = make_staff(role)
    sign_in_staff(client, user)
    return user


@pytest.mark.req("R-ACC-1", "R-CB-1")
def test_underwriter_sees_the_queue_and_the_file_and_views_are_audited(client, lending_setup):  # noqa: F811
    app = bureau_review(lending_setup)
    user = staff_client(client, "underwriter")
    page = client.get("/backoffice/applications/")
    assert page.status_code == 200
    body = page.content.decode()
    assert f"/backoffice/applications/{app.pk}/" in body and "Заявки за последний час" in body
    detail = client.get(f"/backoffice/applications/{app.pk}/").content.decode()
    # decision inputs and rules, the bureau report with the named account (R-CB-1), the offer
    # (rule codes are shown as labels in the staff member's language, never as codes)
    assert "Заявки за последний час" in detail and "demo-credit-officer" in detail
    assert app.client.iin not in detail and app.client.iin[-4:] in detail and 'value="approve"' in detail
    rate = services._offer(app)[1]
    assert '<html lang="ru">' in detail and f"{rate}".replace(".", ",") + " %" in detail
    assert AuditEvent.objects.filter(
        action="staff.viewed_client", actor_id=str(user.pk), target_id=str(app.client.pk)
    ).exists()
    assert AuditEvent.objects.filter(action="staff.viewed_client_list", actor_id=str(user.pk)).exists()
    # the dashboard links to the queue; an approved application leaves it
    assert "/backoffice/applications/" in client.get("/backoffice/").content.decode()


@pytest.mark.req("R-ACC-1")
def test_underwriter_approves_with_an_offer(client, lending_setup):  # noqa: F811
    app = bureau_review(lending_setup)
    user = staff_client(client, "underwriter")
    response = client.post(
        f"/backoffice/applications/{app.pk}/decide/", {"decision": "approve", "note": "ok"}
    )
    assert response.status_code == 302 and response["Location"] == "/backoffice/applications/"
    app.refresh_from_db()
    assert app.status == "approved" and app.offer_schedule and app.effective_rate_percent
    decision = Decision.objects.get(application=app, automatic=False)
    assert decision.decided_by == user and decision.note == "ok"
    assert AuditEvent.objects.filter(action="lending.application_approved", actor_id=str(user.pk)).exists()
    assert (
        f"/backoffice/applications/{app.pk}/" not in client.get("/backoffice/applications/").content.decode()
    )


@pytest.mark.req("R-ACC-1")
def test_underwriter_declines_only_with_a_permitted_reason(client, lending_setup):  # noqa: F811
    app = bureau_review(lending_setup)
    staff_client(client, "underwriter")
    url = f"/backoffice/applications/{app.pk}/decide/"
    for data in ({"decision": "decline"}, {"decision": "decline", "reason": "because"}):
        client.post(url, data)
        app.refresh_from_db()
        assert app.status == "review", data
    # the AML reason is the AML officer's conclusion, not the underwriter's
    client.post(url, {"decision": "decline", "reason": "aml"})
    app.refresh_from_db()
    assert app.status == "review"
    response = client.post(
        url, {"decision": "decline", "reason": "credit_policy", "note": "too many inquiries"}
    )
    assert response.status_code == 302
    app.refresh_from_db()
    assert (app.status, app.decline_reason) == ("declined", "credit_policy")
    # deciding again is a flow error shown as a message, not a crash
    response = client.post(url, {"decision": "approve"}, follow=True)
    assert _ru("Only applications in manual review can be decided by staff.") in response.content.decode()


@pytest.mark.req("R-PRE-1", "R-AML-1")
def test_service_refuses_a_reason_outside_the_permitted_list(lending_setup, django_user_model):  # noqa: F811
    app = bureau_review(lending_setup)
    officer = django_user_model.objects.create_user("uw")
    with pytest.raises(services.FlowError):
        services.manual_decision(app, officer=officer, approve=False, reason="not-a-reason")
    app.refresh_from_db()
    assert app.status == "review"


@pytest.mark.req("R-PRE-1", "R-AML-1")
def test_pending_aml_screening_blocks_the_underwriters_approval(client, lending_setup, django_user_model):  # noqa: F811
    app = aml_review(lending_setup)
    officer = django_user_model.objects.create_user("uw")
    with translation.override("en"), pytest.raises(services.FlowError, match="AML officer"):
        services.manual_decision(app, officer=officer, approve=True)
    staff_client(client, "underwriter")
    detail = client.get(f"/backoffice/applications/{app.pk}/").content.decode()
    hold = _ru("Waiting for the AML officer: a possible list match is not reviewed yet.")
    assert hold in detail and 'value="approve"' not in detail
    client.post(f"/backoffice/applications/{app.pk}/decide/", {"decision": "approve"})
    app.refresh_from_db()
    assert app.status == "review"


@pytest.mark.req("R-PRE-1", "R-AML-1", "R-ACC-1")
def test_aml_false_positive_lets_the_application_proceed_to_the_underwriter(client, lending_setup):  # noqa: F811
    app = aml_review(lending_setup)
    screening = Screening.objects.get(context="application", context_id=str(app.pk))
    officer = staff_client(client, "compliance")
    body = client.get("/backoffice/aml/").content.decode()
    assert "Zhalgasbekov Demobek" in body and screening.subject_name in body
    assert f"/backoffice/aml/{screening.pk}/review/" in body
    assert "/backoffice/aml/" in client.get("/backoffice/").content.decode()
    # a conclusion needs a note
    client.post(f"/backoffice/aml/{screening.pk}/review/", {"conclusion": "false_positive"})
    screening.refresh_from_db()
    assert screening.review_status == "pending"
    response = client.post(
        f"/backoffice/aml/{screening.pk}/review/",
        {"conclusion": "false_positive", "note": "other date of birth in the passport"},
        follow=True,
    )
    waits = _ru("Application #%(n)s now waits for the underwriter's decision.") % {"n": app.pk}
    assert waits in response.content.decode()
    screening.refresh_from_db()
    assert (screening.review_status, screening.reviewed_by) == ("false_positive", officer)
    app.refresh_from_db()
    assert app.status == "review"
    assert AuditEvent.objects.filter(
        action="compliance.screening_reviewed", actor_id=str(officer.pk)
    ).exists()
    assert AuditEvent.objects.filter(action="lending.aml_hold_released", target_id=str(app.pk)).exists()
    assert f"/backoffice/aml/{screening.pk}/review/" not in client.get("/backoffice/aml/").content.decode()
    # now the underwriter may approve
    client.cookies.clear()
    staff_client(client, "underwriter")
    client.post(f"/backoffice/applications/{app.pk}/decide/", {"decision": "approve"})
    app.refresh_from_db()
    assert app.status == "approved" and app.offer_schedule


@pytest.mark.req("R-PRE-1", "R-AML-1")
def test_aml_confirmed_match_refuses_the_application(client, lending_setup):  # noqa: F811
    app = aml_review(lending_setup)
    screening = Screening.objects.get(context="application", context_id=str(app.pk))
    officer = staff_client(client, "compliance")
    response = client.post(
        f"/backoffice/aml/{screening.pk}/review/",
        {"conclusion": "confirmed", "note": "same person"},
        follow=True,
    )
    assert _ru("Application #%(n)s is refused (AML).") % {"n": app.pk} in response.content.decode()
    app.refresh_from_db()
    assert (app.status, app.decline_reason) == ("declined", "aml")
    decision = Decision.objects.get(application=app, automatic=False)
    assert decision.decided_by == officer and decision.outcome == "decline"
    assert AuditEvent.objects.filter(action="lending.application_declined", actor_id=str(officer.pk)).exists()
    # reviewing twice is refused with a message
    response = client.post(
        f"/backoffice/aml/{screening.pk}/review/", {"conclusion": "false_positive", "note": "x"}, follow=True
    )
    assert _ru("This screening is not waiting for review.") in response.content.decode()
    screening.refresh_from_db()
    assert screening.review_status == "confirmed"


@pytest.mark.req("R-PRE-1", "R-AML-1")
def test_confirmed_match_reached_through_the_service_also_refuses(lending_setup, django_user_model):  # noqa: F811
    """The refusal is wired in the services (signal), not in the view."""
    from qaryz.compliance.services import review_screening

    app = aml_review(lending_setup)
    officer = django_user_model.objects.create_user("aml")
    review_screening(Screening.objects.get(context_id=str(app.pk)), confirmed=True, officer=officer)
    app.refresh_from_db()
    assert (app.status, app.decline_reason) == ("declined", "aml")
    with pytest.raises(services.FlowError):
        services.manual_decision(app, officer=officer, approve=True)


@pytest.mark.req("R-PRE-1", "R-AML-1")
def test_match_confirmed_after_a_portfolio_rescreen_refuses_open_applications(
    lending_setup,  # noqa: F811
    django_user_model,
):
    """A list update re-screens the portfolio; a match confirmed there refuses the client's
    applications still before signing (approved with an offer, or in review) – not others."""
    from qaryz.compliance.services import review_screening

    approved = _submitted(lending_setup, make_client(iin=make_iin("880721", "3", 1)))
    assert approved.status == "approved", Decision.objects.get(application=approved).rules
    bystander = _submitted(lending_setup, make_client(iin=make_iin("880722", "3", 2)))
    assert bystander.status == "approved"
    screening = Screening.objects.create(
        client=approved.client,
        subject_name=approved.client.display_name,
        subject_iin=approved.client.iin,
        context="rescreen",
        result=Screening.Result.REVIEW,
        best_score=D("91"),
        review_status=Screening.Review.PENDING,
    )
    officer = django_user_model.objects.create_user("aml")
    review_screening(screening, confirmed=False, officer=officer, note="other person")
    approved.refresh_from_db()
    assert approved.status == "approved"  # a false positive changes nothing
    screening.review_status = Screening.Review.PENDING
    screening.save(update_fields=["review_status"])
    review_screening(screening, confirmed=True, officer=officer, note="same person, same birth date")
    approved.refresh_from_db()
    bystander.refresh_from_db()
    assert (approved.status, approved.decline_reason) == ("declined", "aml")
    assert bystander.status == "approved"


@pytest.mark.req("R-ACC-1")
@pytest.mark.parametrize("role", ["cash_desk", "security", "support", "accountant", "administrator", None])
def test_other_roles_get_403(client, lending_setup, role):  # noqa: F811
    app = aml_review(lending_setup)
    screening = Screening.objects.get(context_id=str(app.pk))
    staff_client(client, role)
    assert client.get("/backoffice/applications/").status_code == 403
    assert client.get(f"/backoffice/applications/{app.pk}/").status_code == 403
    assert (
        client.post(f"/backoffice/applications/{app.pk}/decide/", {"decision": "approve"}).status_code == 403
    )
    assert client.get("/backoffice/aml/").status_code == 403
    data = {"conclusion": "confirmed", "note": "x"}
    assert client.post(f"/backoffice/aml/{screening.pk}/review/", data).status_code == 403
    app.refresh_from_db()
    screening.refresh_from_db()
    assert app.status == "review" and screening.review_status == "pending"
    dashboard = client.get("/backoffice/").content.decode()
    assert "/backoffice/applications/" not in dashboard and "/backoffice/aml/" not in dashboard


@pytest.mark.req("R-ACC-1")
def test_underwriter_and_aml_officer_cannot_use_each_others_queue(client, lending_setup):  # noqa: F811
    app = aml_review(lending_setup)
    screening = Screening.objects.get(context_id=str(app.pk))
    staff_client(client, "underwriter")
    assert client.get("/backoffice/aml/").status_code == 403
    assert (
        client.post(
            f"/backoffice/aml/{screening.pk}/review/", {"conclusion": "false_positive", "note": "x"}
        ).status_code
        == 403
    )
    client.cookies.clear()
    staff_client(client, "compliance")
    assert client.get("/backoffice/applications/").status_code == 403
    assert (
        client.post(
            f"/backoffice/applications/{app.pk}/decide/", {"decision": "decline", "reason": "credit_policy"}
        ).status_code
        == 403
    )
    app.refresh_from_db()
    assert app.status == Application.Status.REVIEW


@pytest.mark.req("R-ACC-1")
def test_migrations_give_the_roles_the_review_permissions():
    """The permissions exist (Meta.permissions, migrations) and the post_migrate role sync granted
    them: roles.py silently skips permissions that do not exist."""

    def perms(role):
        return {
            f"{p.content_type.app_label}.{p.codename}" for p in Group.objects.get(name=role).permissions.all()
        }

    assert {"lending.view_application", "lending.decide_application"} <= perms("underwriter")
    assert {"compliance.view_case", "compliance.decide_case"} <= perms("compliance")
    assert not {"lending.decide_application", "compliance.decide_case"} & perms("support")


@pytest.mark.req("R-AML-1", "R-WEB-1")
@pytest.mark.parametrize("language", ["ru", "kk"])
def test_aml_pages_show_the_match_kind_and_context_in_words(client, lending_setup, language):  # noqa: F811
    """Issue 11: the AML queue and the application file printed the matcher's codes ("name",
    "iin") and the screening context ("application") and a decimal point in the score."""
    app = aml_review(lending_setup)
    screening = Screening.objects.get(context="application", context_id=str(app.pk))
    user = staff_client(client, "compliance")
    user.groups.add(Group.objects.get(name="underwriter"))
    for url in ("/backoffice/aml/", f"/backoffice/applications/{app.pk}/"):
        body = client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        with translation.override(language):
            assert translation.gettext("name match") in body or translation.gettext("IIN match") in body, url
        assert "(application)" not in body and "(name," not in body and "(iin," not in body
        score = float(screening.matches[0]["score"])
        for shown in (f"{score:.1f}", f"{score:.2f}"):  # the language's decimal comma, not a point
            assert shown not in body, (url, shown)


@pytest.mark.req("R-WEB-1")
def test_decision_inputs_are_formatted_and_in_words(client, lending_setup):  # noqa: F811
    """Issue 11: the underwriter's file printed the decision inputs raw ("300000.00", "0.0657",
    "clear")."""
    app = bureau_review(lending_setup)
    staff_client(client, "underwriter")
    body = client.get(f"/backoffice/applications/{app.pk}/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    inputs = body[body.index('<dl class="details">', body.index("</table>")) :]
    inputs = inputs[: inputs.index("</dl>")]
    assert "300\u00a0000,00" in inputs and "300000.00" not in inputs
    assert "clear" not in inputs and " %" in inputs
    assert not re.search(r"\b\d+\.\d+\b", inputs), inputs
