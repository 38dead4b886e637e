from django.urls import path

from qaryz.risks import views

app_name = "risks"
urlpatterns = [
    path("fraud/", views.fraud_register, name="fraud"),
    path("fraud/<slug:kind>/new/", views.fraud_edit, name="fraud-new"),
    path("fraud/<slug:kind>/<int:pk>/", views.fraud_edit, name="fraud-edit"),
    path("fraud/complaints/<int:pk>/answer/", views.answer_complaint, name="complaint-answer"),
    path("fraud/investigations/<int:pk>/close/", views.close_investigation, name="investigation-close"),
    path("security/", views.security_register, name="security"),
    path("security/export.csv", views.security_export, name="security-export"),
    path("security/<slug:kind>/new/", views.security_edit, name="security-new"),
    path("security/<slug:kind>/<int:pk>/", views.security_edit, name="security-edit"),
    path("security/risks/<int:pk>/estimate/", views.estimate, name="estimate"),
]
