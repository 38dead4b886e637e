from django.urls import path

from qaryz.devices import views

app_name = "devices"
urlpatterns = [
    path("", views.security, name="security"),
    path("sessions/<int:session_id>/revoke/", views.revoke_session, name="revoke-session"),
    path("devices/<str:device_id>/revoke/", views.revoke_device, name="revoke-device"),
]
