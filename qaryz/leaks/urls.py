from django.urls import path

from qaryz.leaks import views

app_name = "leaks"
urlpatterns = [
    path("", views.mark_list, name="marks"),
    path("new/", views.mark, name="mark"),
    path("<int:mark_id>/", views.mark_detail, name="detail"),
    path("<int:mark_id>/phone-check/", views.recheck_phone, name="phone-check"),
    path("<int:mark_id>/call/", views.record_call, name="call"),
    path("<int:mark_id>/phone/", views.reveal_phone, name="reveal-phone"),
    path("<int:mark_id>/close/", views.close, name="close"),
]
