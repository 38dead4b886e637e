"""Fixtures shared by the tests of the access, clients, messaging, cabinet and back-office rooms."""

import logging

import pytest


@pytest.fixture
def audited(caplog):
    """Actions of the audit events recorded during the test (through qaryz.access.records_bridge)."""
    caplog.set_level(logging.INFO, logger="qaryz.audit")

    def actions() -> list[str]:
        try:
            from qaryz.records.models import AuditEvent
        except ImportError:  # records room absent: the bridge logs each event
            return [
                r.args[0] for r in caplog.records if r.name == "qaryz.audit" and r.msg.startswith("audit ")
            ]
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
