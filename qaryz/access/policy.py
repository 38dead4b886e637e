"""Who may call what: every back-office page, cabinet page and API operation is declared here.

``qaryz/backoffice/tests/test_permission_matrix.py`` walks the URL resolver and the OpenAPI
document and fails on any endpoint missing from these tables, then checks every role against
them (R-ACC-1). A room adding an endpoint adds its line here.

Values: PUBLIC (no login), CLIENT (client session / bearer token), STAFF (any signed-in staff
member) or a permission ``app_label.codename``.
"""

PUBLIC = "public"
CLIENT = "client"
STAFF = "staff"

# URL name (namespace:name) -> requirement.
PAGES: dict[str, str] = {
    "backoffice:login": PUBLIC,
    "backoffice:login-code": PUBLIC,
    "backoffice:logout": PUBLIC,
    "backoffice:dashboard": STAFF,
    "backoffice:password": STAFF,
    "backoffice:second-factor": STAFF,
    "backoffice:sms-outbox": "messaging.view_sms_outbox",
    "backoffice:clients": "clients.view_client_data",
    "backoffice:client": "clients.view_client_data",
    "backoffice:client-unlock": "access.unlock_account",
    "backoffice:client-reset-second-factor": "access.unlock_account",
    # review queues: underwriting (applications in manual review) and AML possible matches
    "backoffice:review-queue": "lending.view_application",
    "backoffice:review-application": "lending.view_application",
    "backoffice:review-decide": "lending.decide_application",
    "backoffice:aml-queue": "compliance.view_case",
    "backoffice:aml-review": "compliance.decide_case",
    "records:audit-log": "records.view_auditevent",
    # servicing room: repayment channels (issue 10 item 4)
    "servicing:acquirer-webhook": PUBLIC,  # HMAC-signed by the acquirer, no session
    "servicing:cash-desk-payment": "servicing.post_payment",
    "records:public-key": PUBLIC,
    # access room: client sign-in, registration, recovery and sign-in settings (issue 4)
    "access:login": PUBLIC,
    "access:login-code": PUBLIC,
    "access:login-key-options": PUBLIC,
    "access:login-key-verify": PUBLIC,
    "access:logout": PUBLIC,
    "access:register": PUBLIC,
    "access:register-code": PUBLIC,
    "access:register-password": PUBLIC,
    "access:finish-registration": CLIENT,
    "access:registration-sign": CLIENT,
    "access:representative": CLIENT,
    "access:recover-password": PUBLIC,
    "access:recover-code": PUBLIC,
    "access:recover-new": CLIENT,
    "access:change-password": CLIENT,
    "access:second-factor": CLIENT,
    "access:key-options": CLIENT,
    "access:key-verify": CLIENT,
    "access:key-remove": CLIENT,
    "access:change-start": CLIENT,
    "access:change-steps": CLIENT,
    "cabinet:home": CLIENT,
    "cabinet:mfo": CLIENT,
    "cabinet:notifications": CLIENT,
    "cabinet:notification-read": CLIENT,
    "biometrics:verify": CLIENT,
    "biometrics:start": CLIENT,
    "biometrics:frames": CLIENT,
    "biometrics:document": CLIENT,
    "signatures:sign": CLIENT,
    "signatures:demo-sign": CLIENT,
    "signatures:document": CLIENT,
    # lending room: the application flow in the cabinet (R-CAB-1, R-CAB-3, R-CAB-4)
    "lending:applications": CLIENT,
    "lending:apply": CLIENT,
    "lending:create": CLIENT,
    "lending:application": CLIENT,
    "lending:acknowledge": CLIENT,
    "lending:disbursement": CLIENT,
    "lending:submit": CLIENT,
    "lending:contract": CLIENT,
    "lending:contract-pdf": CLIENT,
    "lending:sign": CLIENT,
    # lending room: contract amendments (same path as the contract, R-SIGN-1)
    "lending:amendment-new": CLIENT,
    "lending:amendment": CLIENT,
    "lending:amendment-pdf": CLIENT,
    "lending:amendment-sign": CLIENT,
    "lending:amendment-withdraw": CLIENT,
    # servicing room: the payout step and the payout bank's webhook (HMAC-signed, R-DISB-1..5)
    "servicing:payout": CLIENT,
    "servicing:payout-consent": CLIENT,
    "servicing:payout-request": CLIENT,
    "servicing:payout-webhook": PUBLIC,
    "backoffice:cash-desk": "servicing.disburse_cash",
    "backoffice:cash-desk-payout": "servicing.disburse_cash",
}

# "METHOD /api/v1/path" -> requirement.
API: dict[str, str] = {
    "GET /api/v1/health": PUBLIC,
    "GET /api/v1/records/public-key": PUBLIC,
    "GET /api/v1/records/receipts": CLIENT,
    "GET /api/v1/records/receipts/{receipt_id}.{fmt}": CLIENT,
    "GET /api/v1/access/register/consent": PUBLIC,
    "POST /api/v1/access/register": PUBLIC,
    "POST /api/v1/access/register/verify": PUBLIC,
    "POST /api/v1/access/register/complete": PUBLIC,
    "POST /api/v1/access/register/representative": CLIENT,
    "POST /api/v1/access/otp/resend": PUBLIC,
    "POST /api/v1/access/login": PUBLIC,
    "POST /api/v1/access/login/verify": PUBLIC,
    "POST /api/v1/access/login/key/options": PUBLIC,
    "POST /api/v1/access/login/key/verify": PUBLIC,
    "POST /api/v1/access/recover": PUBLIC,
    "POST /api/v1/access/recover/verify": PUBLIC,
    "POST /api/v1/access/recover/complete": CLIENT,
    "POST /api/v1/access/logout": CLIENT,
    "GET /api/v1/access/me": CLIENT,
    "POST /api/v1/biometrics/sessions": CLIENT,
    "POST /api/v1/biometrics/sessions/{session_id}/frames": CLIENT,
    "POST /api/v1/biometrics/document": CLIENT,
    "GET /api/v1/biometrics/verifications/{verification_id}": CLIENT,
    "POST /api/v1/schedules/preview": PUBLIC,
    "POST /api/v1/applications": CLIENT,
    "GET /api/v1/applications/{application_id}": CLIENT,
    "GET /api/v1/applications/{application_id}/disclosures": CLIENT,
    "POST /api/v1/applications/{application_id}/acknowledgements": CLIENT,
    "POST /api/v1/applications/{application_id}/disbursement": CLIENT,
    "POST /api/v1/applications/{application_id}/submit": CLIENT,
    "GET /api/v1/applications/{application_id}/contract": CLIENT,
    "GET /api/v1/applications/{application_id}/contract.pdf": CLIENT,
    "POST /api/v1/applications/{application_id}/contract/signing": CLIENT,
    "POST /api/v1/applications/{application_id}/contract/sign": CLIENT,
    "GET /api/v1/applications/{application_id}/contract/amendments": CLIENT,
    "POST /api/v1/applications/{application_id}/contract/amendments": CLIENT,
    "GET /api/v1/applications/{application_id}/contract/amendments/{sequence}": CLIENT,
    "GET /api/v1/applications/{application_id}/contract/amendments/{sequence}.pdf": CLIENT,
    "POST /api/v1/applications/{application_id}/contract/amendments/{sequence}/signing": CLIENT,
    "POST /api/v1/applications/{application_id}/contract/amendments/{sequence}/sign": CLIENT,
    "POST /api/v1/applications/{application_id}/contract/amendments/{sequence}/withdraw": CLIENT,
    "GET /api/v1/signatures/requests/{request_id}": CLIENT,
    "POST /api/v1/signatures/requests/{request_id}/submit": CLIENT,
    "GET /api/v1/servicing/loans/{loan_id}/payout": CLIENT,
    "POST /api/v1/servicing/loans/{loan_id}/payout": CLIENT,
    "POST /api/v1/servicing/loans/{loan_id}/payout/consent": CLIENT,
}

# Namespaces whose pages must all be declared in PAGES.
CHECKED_NAMESPACES = ("access", "backoffice", "cabinet", "records", "biometrics", "signatures", "lending")
