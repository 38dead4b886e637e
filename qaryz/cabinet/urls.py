from django.urls import path

from qaryz.cabinet import views

app_name = "cabinet"
urlpatterns = [
    path("", views.home, name="home"),
    path("mfo/", views.mfo_details, name="mfo"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<int:notification_id>/read/", views.notification_read, name="notification-read"),
]
