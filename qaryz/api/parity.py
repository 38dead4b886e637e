"""API parity with the client cabinet (R-CH-1): every cabinet page and action → the /api/v1
operations that do the same through the same services.

``qaryz/api/tests/test_parity.py`` fails when a client page of ``qaryz.access.policy.PAGES`` has
no line here, when a line names an operation the API does not have, and when docs/api.md (the
human-readable copy of this table) misses a line. A page that has no API counterpart on purpose
is listed in WEB_ONLY with the reason.

Operations are written as in ``policy.API`` without the ``/api/v1`` prefix.
"""

from __future__ import annotations

A = "/applications/{application_id}"
L = "/servicing/loans/{loan_id}"
R = f"{L}/restructurings"
T = "/correspondence/threads"
SF = "/access/second-factor"

PARITY: dict[str, tuple[str, ...]] = {
    # sign-in, registration, recovery (access room)
    "access:login": ("POST /access/login",),
    "access:login-code": ("POST /access/login/verify", "POST /access/otp/resend"),
    "access:login-key-options": ("POST /access/login/key/options",),
    "access:login-key-verify": ("POST /access/login/key/verify",),
    "access:logout": ("POST /access/logout",),
    "access:register": ("GET /access/register/consent", "POST /access/register"),
    "access:register-code": ("POST /access/register/verify", "POST /access/otp/resend"),
    "access:register-password": ("POST /access/register/complete",),
    "access:finish-registration": ("GET /access/me", "POST /biometrics/sessions"),
    "access:registration-sign": (
        "POST /access/register/signing",
        "POST /signatures/requests/{request_id}/submit",
    ),
    "access:representative": ("POST /access/register/representative", "POST /biometrics/document"),
    "access:recover-password": ("POST /access/recover",),
    "access:recover-code": ("POST /access/recover/verify",),
    "access:recover-new": ("POST /access/recover/complete",),
    # account settings: password, second factor, phone and bank change
    "access:change-password": ("POST /access/password",),
    "access:second-factor": (
        f"GET {SF}",
        f"POST {SF}/totp/start",
        f"POST {SF}/totp",
        f"POST {SF}/sms",
        f"POST {SF}/keys/use",
    ),
    "access:key-options": (f"POST {SF}/keys/options",),
    "access:key-verify": (f"POST {SF}/keys",),
    "access:key-remove": (f"POST {SF}/keys/{{key_id}}/remove",),
    "access:change-start": ("POST /access/changes",),
    "access:change-steps": (
        "GET /access/changes/{step_id}",
        "POST /access/changes/{step_id}/phone-code",
        "POST /access/changes/{step_id}/signing",
        "POST /biometrics/sessions",
        "POST /signatures/requests/{request_id}/submit",
        "POST /access/changes/{step_id}/apply",
    ),
    # cabinet shell
    "cabinet:home": (
        "GET /cabinet/profile",
        "GET /messages/notifications",
        "GET /applications",
        "GET /servicing/loans",
    ),
    "cabinet:mfo": ("GET /cabinet/mfo",),
    "cabinet:notifications": ("GET /messages/notifications",),
    "cabinet:notification-read": ("POST /messages/notifications/{notification_id}/read",),
    # biometric check and EDS signing
    "biometrics:verify": ("POST /biometrics/sessions",),
    "biometrics:start": ("POST /biometrics/sessions",),
    "biometrics:frames": (
        "POST /biometrics/sessions/{session_id}/frames",
        "GET /biometrics/verifications/{verification_id}",
    ),
    "biometrics:document": ("POST /biometrics/document",),
    "signatures:sign": (
        "GET /signatures/requests/{request_id}",
        "POST /signatures/requests/{request_id}/submit",
    ),
    "signatures:document": ("GET /signatures/requests/{request_id}",),
    # applications and contracts (lending room)
    "lending:applications": ("GET /applications",),
    "lending:apply": ("GET /products", "POST /products/{code}/offers", "POST /schedules/preview"),
    "lending:create": ("POST /applications",),
    "lending:application": (f"GET {A}", f"GET {A}/history", f"GET {A}/disclosures"),
    "lending:acknowledge": (f"POST {A}/acknowledgements",),
    "lending:disbursement": (f"POST {A}/disbursement",),
    "lending:submit": (f"POST {A}/submit",),
    "lending:contract": (f"GET {A}/contract",),
    "lending:contract-address": (f"POST {A}/contract/address",),
    "lending:contract-pdf": (f"GET {A}/contract.pdf",),
    "lending:sign": (f"POST {A}/contract/signing", f"POST {A}/contract/sign"),
    "lending:amendment-new": (f"GET {A}/contract/amendments", f"POST {A}/contract/amendments"),
    "lending:amendment": (f"GET {A}/contract/amendments/{{sequence}}",),
    "lending:amendment-pdf": (f"GET {A}/contract/amendments/{{sequence}}.pdf",),
    "lending:amendment-sign": (
        f"POST {A}/contract/amendments/{{sequence}}/signing",
        f"POST {A}/contract/amendments/{{sequence}}/sign",
    ),
    "lending:amendment-withdraw": (f"POST {A}/contract/amendments/{{sequence}}/withdraw",),
    # loans (servicing room)
    "servicing:loans": ("GET /servicing/loans",),
    "servicing:loan": (f"GET {L}", f"GET {L}/schedule", f"GET {L}/transactions", f"GET {L}/how-to-repay"),
    "servicing:payments": (f"GET {L}/payments",),
    "servicing:early-repayment": (f"POST {L}/early-repayment/quote", f"POST {L}/early-repayment"),
    "servicing:restructuring-new": (f"GET {R}", f"POST {R}"),
    "servicing:restructuring": (f"GET {R}/{{sequence}}", f"POST {R}/{{sequence}}/signing"),
    "servicing:restructuring-pdf": (f"GET {R}/{{sequence}}.pdf",),
    "servicing:restructuring-sign": (f"POST {R}/{{sequence}}/sign",),
    "servicing:restructuring-withdraw": (f"POST {R}/{{sequence}}/withdraw",),
    "servicing:receipt": ("GET /records/receipts", "GET /records/receipts/{receipt_id}.{fmt}"),
    "servicing:pay-card": (f"POST {L}/card-payment",),
    "servicing:payout": (f"GET {L}/payout",),
    "servicing:payout-consent": (f"POST {L}/payout/consent",),
    "servicing:payout-request": (f"POST {L}/payout",),
    "servicing:refund-request": (f"POST {L}/refund",),
    # collections: changed terms after a delay notice
    "collections:changed-terms": (
        "GET /collections/loans/{loan_id}/changed-terms",
        "POST /collections/loans/{loan_id}/changed-terms",
    ),
    # letters with the MFO (correspondence room)
    "correspondence:threads": (f"GET {T}", "GET /correspondence/topics"),
    "correspondence:new": (f"POST {T}", f"POST {T}/{{thread_id}}/attachments"),
    "correspondence:thread": (f"GET {T}/{{thread_id}}", f"POST {T}/{{thread_id}}/read"),
    "correspondence:reply": (f"POST {T}/{{thread_id}}/messages", f"POST {T}/{{thread_id}}/attachments"),
    "correspondence:attachment": (f"GET {T}/{{thread_id}}/attachments/{{attachment_id}}",),
    # the security page (R-AUTH-6): sessions, devices, recent sign-ins, revoke
    "devices:security": ("GET /devices/security",),
    "devices:revoke-session": ("POST /devices/sessions/{session_id}/revoke",),
    "devices:revoke-device": ("POST /devices/{device_id}/revoke",),
    # the language switch (/i18n/setlang/, no namespace): also the client's preferred language
    "set_language": ("POST /cabinet/language",),
}

# Client pages with no API counterpart on purpose, and why.
WEB_ONLY: dict[str, str] = {
    "signatures:demo-sign": "demo mode only: the server signs with the client's test key in place of "
    "NCALayer; an app signs with the client's EDS and submits the CMS (signatures:sign)",
    "servicing:demo-acquirer": "the embedded acquirer's own card page (it stands for the acquirer's "
    "site); the app opens the payment_url that POST …/card-payment returns",
}
