from django.urls import path

from qaryz.servicing import payouts_views, repayment_views, restructuring_views, views

app_name = "servicing"
urlpatterns = [
    path("loans/", views.loans, name="loans"),
    path("loans/<int:loan_id>/", views.loan, name="loan"),
    path("loans/<int:loan_id>/payments/", views.payments, name="payments"),
    path("loans/<int:loan_id>/early-repayment/", views.early_repayment, name="early-repayment"),
    path(
        "loans/<int:loan_id>/restructuring/", restructuring_views.restructuring_new, name="restructuring-new"
    ),
    path(
        "loans/<int:loan_id>/restructuring/<int:sequence>/",
        restructuring_views.restructuring_page,
        name="restructuring",
    ),
    path(
        "loans/<int:loan_id>/restructuring/<int:sequence>.pdf",
        restructuring_views.restructuring_pdf,
        name="restructuring-pdf",
    ),
    path(
        "loans/<int:loan_id>/restructuring/<int:sequence>/sign/",
        restructuring_views.restructuring_sign,
        name="restructuring-sign",
    ),
    path(
        "loans/<int:loan_id>/restructuring/<int:sequence>/withdraw/",
        restructuring_views.restructuring_withdraw,
        name="restructuring-withdraw",
    ),
    path("loans/<int:loan_id>/refund/", views.refund_request, name="refund-request"),
    path("receipts/<uuid:receipt_id>.<slug:fmt>", views.receipt, name="receipt"),
    path("loans/<int:loan_id>/pay/", views.pay_card, name="pay-card"),
    path("demo-acquirer/<str:order_id>/", views.demo_acquirer, name="demo-acquirer"),
    # payouts (R-DISB-1..5)
    path("loans/<int:loan_id>/payout/", payouts_views.payout_page, name="payout"),
    path("loans/<int:loan_id>/payout/consent/", payouts_views.payout_consent, name="payout-consent"),
    path("loans/<int:loan_id>/payout/request/", payouts_views.payout_request, name="payout-request"),
    path("payouts/webhook/", payouts_views.payout_webhook, name="payout-webhook"),
    path("acquirer/webhook/", repayment_views.acquirer_webhook, name="acquirer-webhook"),
    path("cash-desk/payment/", repayment_views.cash_desk_payment, name="cash-desk-payment"),
    path("suspense/", repayment_views.suspense, name="suspense"),
    path("suspense/<int:item_id>/assign/", repayment_views.suspense_assign, name="suspense-assign"),
    path("suspense/<int:item_id>/return/", repayment_views.suspense_return, name="suspense-return"),
]
