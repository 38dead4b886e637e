"""The demo letters: answered, waiting, overdue – loaded once."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone

from qaryz.access.testing import make_client, make_staff
from qaryz.correspondence import demo, selectors
from qaryz.correspondence.models import Thread


@pytest.mark.req("R-CAB-7")
@pytest.mark.django_db
def test_demo_letters_fill_the_inbox_once():
    for phone in ("+77010000001", "+77010000011", "+77010000012"):
        make_client(phone=phone)
    support = make_staff("support", username="support")
    out = io.StringIO()
    demo.load_demo(out)
    demo.load_demo(io.StringIO())
    assert Thread.objects.count() == 3 and "Clients' letters" in out.getvalue()
    today = timezone.localdate()
    assert [t.subject for t in selectors.inbox("overdue", support, today)] == ["Жалоба на звонок сотрудника"]
    answered = Thread.objects.get(client__phone="+77010000001")
    assert answered.waiting_since is None and selectors.unread_for_client(answered.client) == 1
