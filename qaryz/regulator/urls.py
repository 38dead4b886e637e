from django.urls import path

from qaryz.regulator import views

app_name = "regulator"
urlpatterns = [
    path("", views.channel_list, name="channels"),
    path("new/", views.channel_edit, name="channel-new"),
    path("<int:channel_id>/", views.channel_detail, name="channel"),
    path("<int:channel_id>/edit/", views.channel_edit, name="channel-edit"),
    path("<int:channel_id>/notice/", views.prepare, name="prepare"),
    path("<int:channel_id>/notices/<int:notice_id>/sent/", views.sent, name="sent"),
    path("<int:channel_id>/notices/<int:notice_id>/mail/", views.mail, name="mail"),
    path("<int:channel_id>/notices/<int:notice_id>/open/", views.open_channel, name="open"),
    path("<int:channel_id>/close/", views.close, name="close"),
]
