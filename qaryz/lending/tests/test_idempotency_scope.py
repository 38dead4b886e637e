"""Idempotency keys are scoped to the client (issue 11, item 11): one client's key neither refuses nor
reveals another client's request."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction

from qaryz.lending import services
from qaryz.lending.models import Application
from qaryz.lending.tests.factories import make_client, make_iin

from .test_application_flow import prepared

pytestmark = pytest.mark.django_db


@pytest.mark.req("R-CAB-1")
def test_two_clients_may_use_the_same_idempotency_key(lending_setup):
    first = prepared(make_client(iin=make_iin("900214", "3", 11)), lending_setup)
    second = prepared(make_client(iin=make_iin("900215", "3", 12)), lending_setup)
    services.submit(
        first, monthly_income=D("600000"), bureau_consent=True, idempotency_key="same-key", run=False
    )
    services.submit(
        second, monthly_income=D("600000"), bureau_consent=True, idempotency_key="same-key", run=False
    )
    assert set(Application.objects.filter(idempotency_key="same-key").values_list("status", flat=True)) == {
        "submitted"
    }
    # Within one client the key still refuses a second application.
    third = prepared(first.client, lending_setup)
    with pytest.raises(services.FlowError):
        services.submit(third, monthly_income=D("600000"), bureau_consent=True, idempotency_key="same-key")


@pytest.mark.req("R-CAB-1")
def test_the_database_keeps_keys_unique_per_client(lending_setup):
    app = prepared(make_client(iin=make_iin("900216", "3", 13)), lending_setup)
    other = prepared(app.client, lending_setup)
    Application.objects.filter(pk=app.pk).update(idempotency_key="k")
    with pytest.raises(IntegrityError), transaction.atomic():
        Application.objects.filter(pk=other.pk).update(idempotency_key="k")
    stranger = prepared(make_client(iin=make_iin("900217", "3", 14)), lending_setup)
    Application.objects.filter(pk=stranger.pk).update(idempotency_key="k")  # another client: allowed
