from django.urls import path

from qaryz.lending import views

app_name = "lending"
urlpatterns = [
    path("", views.applications, name="applications"),
    path("apply/", views.apply, name="apply"),
    path("apply/create/", views.create, name="create"),
    path("applications/<int:application_id>/", views.application, name="application"),
    path("applications/<int:application_id>/acknowledge/<slug:key>/", views.acknowledge, name="acknowledge"),
    path("applications/<int:application_id>/disbursement/", views.disbursement, name="disbursement"),
    path("applications/<int:application_id>/submit/", views.submit, name="submit"),
    path("applications/<int:application_id>/contract/", views.contract, name="contract"),
    path("applications/<int:application_id>/contract.pdf", views.contract_pdf, name="contract-pdf"),
    path("applications/<int:application_id>/sign/", views.sign, name="sign"),
    path(
        "applications/<int:application_id>/contract/address/", views.contract_address, name="contract-address"
    ),
    path(
        "applications/<int:application_id>/contract/amendments/new/",
        views.amendment_new,
        name="amendment-new",
    ),
    path(
        "applications/<int:application_id>/contract/amendments/<int:sequence>/",
        views.amendment,
        name="amendment",
    ),
    path(
        "applications/<int:application_id>/contract/amendments/<int:sequence>.pdf",
        views.amendment_pdf,
        name="amendment-pdf",
    ),
    path(
        "applications/<int:application_id>/contract/amendments/<int:sequence>/sign/",
        views.amendment_sign,
        name="amendment-sign",
    ),
    path(
        "applications/<int:application_id>/contract/amendments/<int:sequence>/withdraw/",
        views.amendment_withdraw,
        name="amendment-withdraw",
    ),
]
