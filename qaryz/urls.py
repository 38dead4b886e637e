from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from qaryz.api.api import api
from qaryz.cabinet import views as cabinet_views
from qaryz.core import views as core_views

handler400 = "qaryz.core.views.bad_request"
handler403 = "qaryz.core.views.permission_denied"
handler404 = "qaryz.core.views.page_not_found"
handler500 = "qaryz.core.views.server_error"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("brand.css", core_views.brand_css, name="brand-css"),
    # the language switch also stores a signed-in client's preferred language (cabinet)
    path("i18n/setlang/", cabinet_views.set_language, name="set_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("", include("qaryz.access.urls")),
    path("cabinet/security/", include("qaryz.devices.urls")),
    path("cabinet/", include("qaryz.cabinet.urls")),
    path("backoffice/fraud-cases/", include("qaryz.fraudcases.urls")),
    path("backoffice/antifraud/", include("qaryz.antifraud.urls")),
    path("backoffice/letters/", include("qaryz.correspondence.staff_urls")),
    path("backoffice/incidents/", include("qaryz.incidents.urls")),
    path("backoffice/risks/", include("qaryz.risks.urls")),
    path("backoffice/regulator/", include("qaryz.regulator.urls")),
    path("backoffice/leaks/", include("qaryz.leaks.urls")),
    path("backoffice/", include("qaryz.backoffice.urls")),
    path("clients/", include("qaryz.clients.urls")),
    path("biometrics/", include("qaryz.biometrics.urls")),
    path("signatures/", include("qaryz.signatures.urls")),
    path("lending/", include("qaryz.lending.urls")),
    path("servicing/", include("qaryz.servicing.urls")),
    path("bureau/", include("qaryz.bureau.urls")),
    path("compliance/", include("qaryz.compliance.urls")),
    path("records/", include("qaryz.records.urls")),
    path("messages/", include("qaryz.correspondence.urls")),
    path("messages/", include("qaryz.messaging.urls")),
    path("collections/", include("qaryz.collections.urls")),
]
