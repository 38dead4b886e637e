from django.urls import path

from qaryz.fraudcases import views

app_name = "fraudcases"
urlpatterns = [
    path("", views.case_list, name="cases"),
    path("new/", views.register, name="register"),
    path("<int:case_id>/", views.case_detail, name="case"),
    path("<int:case_id>/documents/", views.add_document, name="add-document"),
    path("<int:case_id>/suspend/", views.suspend, name="suspend"),
    path("<int:case_id>/resume/", views.resume, name="resume"),
    path("<int:case_id>/verdict/", views.verdict, name="verdict"),
    path("<int:case_id>/refund/", views.refund, name="refund"),
]
