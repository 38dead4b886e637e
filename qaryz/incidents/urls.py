from django.urls import path

from qaryz.incidents import views

app_name = "incidents"
urlpatterns = [
    path("", views.incident_list, name="incidents"),
    path("new/", views.register, name="register"),
    path("<int:incident_id>/", views.incident_detail, name="incident"),
    path("<int:incident_id>/measures/", views.record_measures, name="measures"),
    path("<int:incident_id>/affected/", views.add_affected, name="add-affected"),
    path("<int:incident_id>/inform/", views.inform_clients, name="inform-clients"),
    path("<int:incident_id>/notices/", views.prepare_notice, name="prepare-notice"),
    path("<int:incident_id>/notices/<int:notice_id>/sent/", views.notice_sent, name="notice-sent"),
    path("<int:incident_id>/notices/<int:notice_id>/mail/", views.notice_mail, name="notice-mail"),
    path("<int:incident_id>/steps/", views.add_step, name="add-step"),
    path("<int:incident_id>/steps/<int:step_id>/done/", views.step_done, name="step-done"),
    path("<int:incident_id>/normal-state/", views.confirm_normal, name="confirm-normal"),
    path("<int:incident_id>/close/", views.close, name="close"),
]
