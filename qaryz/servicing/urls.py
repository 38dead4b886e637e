from django.urls import path

from qaryz.servicing import payouts_views, repayment_views

app_name = "servicing"
urlpatterns: list = [
    # payouts (R-DISB-1..5)
    path("loans/<int:loan_id>/payout/", payouts_views.payout_page, name="payout"),
    path("loans/<int:loan_id>/payout/consent/", payouts_views.payout_consent, name="payout-consent"),
    path("loans/<int:loan_id>/payout/request/", payouts_views.payout_request, name="payout-request"),
    path("payouts/webhook/", payouts_views.payout_webhook, name="payout-webhook"),
    path("acquirer/webhook/", repayment_views.acquirer_webhook, name="acquirer-webhook"),
    path("cash-desk/payment/", repayment_views.cash_desk_payment, name="cash-desk-payment"),
]
