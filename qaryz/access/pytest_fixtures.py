"""Fixtures shared by the tests of the access, clients, messaging, cabinet and back-office rooms."""

import pytest


@pytest.fixture
def audited():
    """Actions of the audit events recorded so far in the test, oldest first."""
    from qaryz.records.models import AuditEvent

    def actions() -> list[str]:
        return list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))

    return actions


@pytest.fixture
def outbox():
    """Messages the embedded SMS gateway delivered, newest last."""
    from qaryz.messaging.models import EmbeddedSms

    def messages(phone: str | None = None) -> list[EmbeddedSms]:
        qs = EmbeddedSms.objects.order_by("id")
        return list(qs.filter(phone=phone) if phone else qs)

    return messages


@pytest.fixture(autouse=True)
def _outbox_file(settings, tmp_path):
    settings.SMS_OUTBOX_FILE = str(tmp_path / "sms-outbox.log")
