from django.urls import path

from qaryz.antifraud import views

app_name = "antifraud"
urlpatterns = [
    path("", views.alert_list, name="alerts"),
    path("alerts/<int:alert_id>/", views.alert_detail, name="alert"),
    path("alerts/<int:alert_id>/dismiss/", views.alert_dismiss, name="alert-dismiss"),
    path("alerts/<int:alert_id>/case/", views.alert_case, name="alert-case"),
    path("holds/<int:hold_id>/release/", views.hold_release, name="hold-release"),
    path("holds/<int:hold_id>/decline/", views.hold_decline, name="hold-decline"),
    path("cases/", views.case_list, name="cases"),
    path("cases/<int:case_id>/", views.case_detail, name="case"),
    path("cases/<int:case_id>/assign/", views.case_assign, name="case-assign"),
    path("cases/<int:case_id>/close/", views.case_close, name="case-close"),
    path("rules/", views.ruleset_list, name="rulesets"),
    path("rules/new/", views.ruleset_new, name="ruleset-new"),
    path("rules/<int:ruleset_id>/", views.ruleset_detail, name="ruleset"),
    path("rules/<int:ruleset_id>/add/", views.rule_add, name="rule-add"),
    path("rules/<int:ruleset_id>/rules/<int:rule_id>/remove/", views.rule_remove, name="rule-remove"),
    path("rules/<int:ruleset_id>/thresholds/", views.ruleset_thresholds, name="ruleset-thresholds"),
    path("rules/<int:ruleset_id>/submit/", views.ruleset_submit, name="ruleset-submit"),
    path("rules/<int:ruleset_id>/approve/", views.ruleset_approve, name="ruleset-approve"),
    path("rules/<int:ruleset_id>/send-back/", views.ruleset_send_back, name="ruleset-send-back"),
]
