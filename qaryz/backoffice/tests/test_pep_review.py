"""A PEP match is enhanced review, not refusal (R-AML-1): the application goes to manual review
with a PEP flag the underwriter sees; the AML officer's confirmation does not refuse it."""

from __future__ import annotations

import pytest

from qaryz.backoffice.tests.test_review_queues import _ru, _submitted, staff_client
from qaryz.compliance.models import Screening
from qaryz.compliance.services import ensure_list, import_list
from qaryz.lending.models import Decision
from qaryz.lending.tests.conftest import _fresh_bureau_memory, lending_setup  # noqa: F401
from qaryz.lending.tests.factories import make_client, make_iin

pytestmark = [pytest.mark.django_db, pytest.mark.req("R-AML-1")]


def pep_application(product):
    iin = make_iin("760707", "3", 4201)
    ensure_list("pep", name="PEP", kind="pep", fmt="csv")
    import_list(
        "pep",
        f"id,name,aliases,birth_date,iin,kind\n1,Публичный Деятель,,,{iin},person\n".encode(),
        rescreen=False,
    )
    return _submitted(product, make_client(iin=iin, surname="Публичный", given_name="Деятель", patronymic=""))


def test_pep_goes_to_enhanced_review_and_is_not_refused_when_confirmed(client, lending_setup):  # noqa: F811
    app = pep_application(lending_setup)
    assert app.status == "review"
    rules = {r["rule"]: r for r in Decision.objects.get(application=app).rules}
    assert rules["aml_pep"]["outcome"] == "review"
    screening = Screening.objects.get(context="application", context_id=str(app.pk))
    assert screening.pep and not screening.refusal_list
    staff_client(client, "compliance")
    queue = client.get("/backoffice/aml/").content.decode()
    assert _ru("Politically exposed persons") in queue
    client.post(f"/backoffice/aml/{screening.pk}/review/", {"conclusion": "confirmed", "note": "a deputy"})
    app.refresh_from_db()
    assert app.status == "review" and app.decline_reason == ""
    client.logout()
    staff_client(client, "underwriter")
    page = client.get(f"/backoffice/applications/{app.pk}/").content.decode()
    assert (
        _ru(
            "Politically exposed person (confirmed by the AML officer): enhanced review – not a reason to refuse by itself."
        )
        in page
    )
    response = client.post(
        f"/backoffice/applications/{app.pk}/decide/", {"decision": "approve", "note": "EDD done"}
    )
    assert response.status_code in (200, 302)
    app.refresh_from_db()
    assert app.status == "approved"
