from django.urls import path

from qaryz.correspondence import staff_views

app_name = "correspondence_staff"
urlpatterns = [
    path("", staff_views.inbox, name="inbox"),
    path("<int:thread_id>/", staff_views.thread_detail, name="thread"),
    path("<int:thread_id>/reply/", staff_views.reply, name="reply"),
    path("<int:thread_id>/assign/", staff_views.assign, name="assign"),
    path("<int:thread_id>/attachments/<int:attachment_id>/", staff_views.attachment, name="attachment"),
]
