from django.urls import path

from qaryz.servicing import repayment_views

app_name = "servicing"
urlpatterns: list = [
    path("acquirer/webhook/", repayment_views.acquirer_webhook, name="acquirer-webhook"),
    path("cash-desk/payment/", repayment_views.cash_desk_payment, name="cash-desk-payment"),
]
