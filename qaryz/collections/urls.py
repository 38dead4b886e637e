from django.urls import path

from qaryz.collections import views

app_name = "collections"
urlpatterns = [
    path("loans/<int:loan_id>/changed-terms/", views.changed_terms, name="changed-terms"),
]
