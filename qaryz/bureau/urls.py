from django.urls import path

from qaryz.bureau import views

app_name = "bureau"
urlpatterns = [
    path("", views.reporting, name="reporting"),
]
