from django.urls import path

from qaryz.records import views

app_name = "records"
urlpatterns = [
    path("audit/", views.audit_log, name="audit-log"),
    path("public-key.pem", views.public_key, name="public-key"),
]
