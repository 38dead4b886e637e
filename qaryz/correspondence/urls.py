from django.urls import path

from qaryz.correspondence import views

app_name = "correspondence"
urlpatterns = [
    path("", views.threads, name="threads"),
    path("new/", views.new_thread, name="new"),
    path("<int:thread_id>/", views.thread_detail, name="thread"),
    path("<int:thread_id>/reply/", views.reply, name="reply"),
    path("<int:thread_id>/attachments/<int:attachment_id>/", views.attachment, name="attachment"),
]
