from django.urls import path

from . import views

app_name = "biometrics"
urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("verify/start/", views.start, name="start"),
    path("verify/<uuid:session_id>/frames/", views.frames, name="frames"),
    path("document/", views.document, name="document"),
]
