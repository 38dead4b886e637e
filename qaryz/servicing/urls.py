from django.urls import path

from qaryz.servicing import views

app_name = "servicing"
urlpatterns = [
    path("loans/", views.loans, name="loans"),
    path("loans/<int:loan_id>/", views.loan, name="loan"),
    path("loans/<int:loan_id>/payments/", views.payments, name="payments"),
    path("loans/<int:loan_id>/early-repayment/", views.early_repayment, name="early-repayment"),
    path("receipts/<uuid:receipt_id>.<slug:fmt>", views.receipt, name="receipt"),
]
