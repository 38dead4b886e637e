"""A demo-like scene for walking the main pages: a signed-in client with a draft application and
an approved one whose contract is drafted, a notification, and a staff member who may open every
back-office page (underwriting, AML, clients, demo SMS outbox)."""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.test import Client as TestClient

from qaryz.access.models import ClientCredential
from qaryz.access.testing import TEST_PASSWORD, make_staff
from qaryz.clients.models import Client
from qaryz.compliance import demo as compliance_demo
from qaryz.lending.models import Application
from qaryz.lending.tests.factories import make_client, make_iin, product, rule_sets

PUBLIC_PAGES = ["/", "/login/", "/register/", "/password/recover/", "/backoffice/login/"]


@dataclass
class Scene:
    client: Client
    staff: object
    draft: Application
    approved: Application

    def client_pages(self) -> list[str]:
        return [
            "/cabinet/",
            "/cabinet/mfo/",
            "/cabinet/notifications/",
            "/account/password/",
            "/account/second-factor/",
            "/lending/",
            "/lending/apply/",
            "/lending/apply/?product=online&amount=300000&term_months=12",
            "/lending/apply/?product=online&amount=5&term_months=400",
            f"/lending/applications/{self.draft.pk}/",
            f"/lending/applications/{self.approved.pk}/",
            f"/lending/applications/{self.approved.pk}/contract/",
            "/biometrics/verify/",
            "/biometrics/verify/?purpose=contract_signing",
        ]

    def staff_pages(self) -> list[str]:
        return [
            "/backoffice/",
            "/backoffice/clients/",
            f"/backoffice/clients/{self.client.pk}/",
            "/backoffice/applications/",
            f"/backoffice/applications/{self.approved.pk}/",
            "/backoffice/aml/",
            "/backoffice/sms-outbox/",
            "/backoffice/password/",
            "/backoffice/second-factor/",
        ]


def build_scene(serial: int = 7301) -> Scene:
    """The client applies twice through the pages (Django's test client): one draft, one approved."""
    from qaryz.access.testing import sign_in_client

    rule_sets()
    compliance_demo.load_demo(io.StringIO())
    product()
    me = make_client(iin=make_iin("900214", "3", serial))
    ClientCredential.objects.get_or_create(
        client=me, defaults={"password_hash": make_password(TEST_PASSWORD)}
    )
    web = TestClient()
    sign_in_client(web, me)
    for _ in range(2):
        web.post(
            "/lending/apply/create/",
            {"product": "online", "amount": "300000", "term_months": "12", "method": "annuity"},
        )
    draft, approved = Application.objects.filter(client=me).order_by("pk")
    for key in ("rules", "payments", "schedules", "rights"):
        web.post(f"/lending/applications/{approved.pk}/acknowledge/{key}/")
    web.post(
        f"/lending/applications/{approved.pk}/disbursement/",
        {"disbursement_method": "bank_account", "iban": "KZ86 125K ZT50 0410 0100"},
    )
    web.post(
        f"/lending/applications/{approved.pk}/submit/",
        {"monthly_income": "700000", "bureau_consent": "on", "idempotency_key": f"scene-{serial}"},
    )
    approved.refresh_from_db()
    assert approved.status == "approved", approved.status
    assert web.get(f"/lending/applications/{approved.pk}/contract/").status_code == 200  # drafts it
    staff = make_staff("underwriter", username="ivanova")
    for role in ("compliance", "support", "security"):
        staff.groups.add(Group.objects.get(name=role))
    return Scene(client=me, staff=staff, draft=draft, approved=approved)
