import pytest

from qaryz.access.pytest_fixtures import _outbox_file, audited, outbox  # noqa: F401


@pytest.fixture
def signed_in_app(client):
    """A confirmed client signed in from an app instance with a bound ES256 key."""
    from qaryz.access.models import OtpChallenge
    from qaryz.access.services import begin_client_login
    from qaryz.access.testing import make_client
    from qaryz.devices.testing import App

    def make(app: App | None = None, person=None):
        person = person or make_client()
        app = app or App(client)
        # A second app of the same client signs in at once: skip the SMS resend pause.
        OtpChallenge.objects.filter(phone=person.phone).update(last_sent_at=None)
        challenge = begin_client_login(person)
        code = _last_code(person.phone)
        answer = app.sign_in(
            "/api/v1/access/login/verify",
            {"challenge_id": challenge.public_id, "code": code, "device_id": "Pixel 8"},
        )
        assert answer.status_code == 200, answer.content
        return person, app

    return make


def _last_code(phone: str) -> str:
    import re

    from qaryz.messaging.models import EmbeddedSms

    text = EmbeddedSms.objects.filter(phone=phone).order_by("-id").first().text
    return re.search(r"\d{6}", text).group()


from qaryz.lending.tests.conftest import _fresh_bureau_memory, lending_setup  # noqa: E402, F401
