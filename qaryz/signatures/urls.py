from django.urls import path

from . import views

app_name = "signatures"
urlpatterns = [
    path("sign/<uuid:request_id>/", views.sign, name="sign"),
    path("sign/<uuid:request_id>/demo/", views.demo_sign, name="demo-sign"),
    path("sign/<uuid:request_id>/document/", views.document, name="document"),
]
