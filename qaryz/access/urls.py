from django.urls import path

from qaryz.access import views

app_name = "access"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/code/", views.login_code_view, name="login-code"),
    path("login/key/options/", views.login_key_options_view, name="login-key-options"),
    path("login/key/verify/", views.login_key_verify_view, name="login-key-verify"),
    path("logout/", views.logout_view, name="logout"),
    path("register/", views.register_view, name="register"),
    path("register/code/", views.register_code_view, name="register-code"),
    path("register/password/", views.register_password_view, name="register-password"),
    path("register/finish/", views.finish_registration_view, name="finish-registration"),
    path("register/finish/sign/", views.registration_sign_view, name="registration-sign"),
    path("register/finish/representative/", views.representative_view, name="representative"),
    path("password/recover/", views.recover_view, name="recover-password"),
    path("password/recover/code/", views.recover_code_view, name="recover-code"),
    path("password/recover/new/", views.recover_new_view, name="recover-new"),
    path("account/password/", views.change_password_view, name="change-password"),
    path("account/second-factor/", views.second_factor_view, name="second-factor"),
    path("account/second-factor/keys/options/", views.key_options_view, name="key-options"),
    path("account/second-factor/keys/verify/", views.key_verify_view, name="key-verify"),
    path("account/second-factor/keys/<int:key_id>/remove/", views.key_remove_view, name="key-remove"),
    path("account/change/<str:purpose>/", views.change_start_view, name="change-start"),
    path("account/changes/<int:step_id>/", views.change_steps_view, name="change-steps"),
]
