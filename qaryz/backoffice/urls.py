from django.urls import path

from qaryz.backoffice import cash_desk_views, views, workbench_views
from qaryz.collections import staff_views as collections_views
from qaryz.servicing import approval_views
from qaryz.servicing import staff_views as servicing_views

app_name = "backoffice"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.login_view, name="login"),
    path("login/code/", views.login_code_view, name="login-code"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_view, name="password"),
    path("second-factor/", views.second_factor_view, name="second-factor"),
    path("sms-outbox/", views.sms_outbox, name="sms-outbox"),
    path("mail-outbox/", views.mail_outbox, name="mail-outbox"),
    path("clients/", views.client_list, name="clients"),
    path("clients/<int:client_id>/", views.client_detail, name="client"),
    path("clients/<int:client_id>/reveal/", views.client_reveal, name="client-reveal"),
    path("clients/<int:client_id>/unlock/", views.client_unlock, name="client-unlock"),
    path("clients/<int:client_id>/documents/<slug:which>/", views.client_document, name="client-document"),
    path(
        "clients/<int:client_id>/reset-second-factor/",
        views.client_reset_second_factor,
        name="client-reset-second-factor",
    ),
    path("applications/", views.review_queue, name="review-queue"),
    path("applications/all/", workbench_views.application_list, name="applications"),
    path("contracts/", workbench_views.contract_list, name="contracts"),
    path("reports/", workbench_views.report_index, name="reports"),
    path("reports/<slug:key>.csv", workbench_views.report_csv, name="report-csv"),
    path("ledger/", workbench_views.ledger, name="ledger"),
    path("ledger/journal.csv", workbench_views.ledger_csv, name="ledger-csv"),
    path("applications/<int:application_id>/", views.review_application, name="review-application"),
    path("applications/<int:application_id>/decide/", views.review_decide, name="review-decide"),
    path("aml/", views.aml_queue, name="aml-queue"),
    path("aml/<int:screening_id>/review/", views.aml_review, name="aml-review"),
    path("cash-desk/", cash_desk_views.cash_desk, name="cash-desk"),
    path("cash-desk/<int:loan_id>/", cash_desk_views.cash_desk_payout, name="cash-desk-payout"),
    path("payouts/approvals/", approval_views.approval_list, name="payout-approvals"),
    path(
        "payouts/approvals/<int:approval_id>/approve/",
        approval_views.approval_approve,
        name="payout-approval-approve",
    ),
    path(
        "payouts/approvals/<int:approval_id>/reject/",
        approval_views.approval_reject,
        name="payout-approval-reject",
    ),
    path("loans/", workbench_views.loan_list, name="loans"),
    path("loans/<int:loan_id>/", servicing_views.loan_card, name="loan"),
    # collections: changed-terms requests, collection actions, write-off (maker–checker)
    path("collections/requests/", collections_views.request_list, name="collections-requests"),
    path(
        "collections/requests/<int:request_id>/", collections_views.request_detail, name="collections-request"
    ),
    path(
        "collections/requests/<int:request_id>/approve/",
        collections_views.request_approve,
        name="collections-request-approve",
    ),
    path(
        "collections/requests/<int:request_id>/refuse/",
        collections_views.request_refuse,
        name="collections-request-refuse",
    ),
    path("loans/<int:loan_id>/collection-action/", collections_views.loan_action, name="collections-action"),
    path("loans/<int:loan_id>/write-off/", collections_views.write_off_propose, name="collections-write-off"),
    path("collections/write-offs/", collections_views.write_off_list, name="collections-write-offs"),
    path(
        "collections/write-offs/<int:decision_id>/approve/",
        collections_views.write_off_approve,
        name="collections-write-off-approve",
    ),
    path(
        "collections/write-offs/<int:decision_id>/reject/",
        collections_views.write_off_reject,
        name="collections-write-off-reject",
    ),
]
