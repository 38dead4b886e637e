"""Security events from Django's authentication signals (R-SEC-1): staff logins, failures, logouts."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver


@receiver(user_logged_in, dispatch_uid="records-login")
def on_login(sender, request, user, **kwargs) -> None:
    from qaryz.records.services import record_event

    record_event("auth.login", category="security", actor=user, target=user, request=request)


@receiver(user_logged_out, dispatch_uid="records-logout")
def on_logout(sender, request, user, **kwargs) -> None:
    from qaryz.records.services import record_event

    record_event("auth.logout", category="security", actor=user, target=user, request=request)


@receiver(user_login_failed, dispatch_uid="records-login-failed")
def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    from qaryz.records.services import record_event

    # Django has already masked the password in ``credentials``; keep only the login name.
    record_event(
        "auth.login_failed",
        category="security",
        actor="system",
        request=request,
        data={"username": str(credentials.get("username", ""))[:150]},
    )
