"""Django admin for the MFO profile (reached only through the back-office login, R-ACC-2). Every
change is audited as a configuration event (records.auditing tracks MfoProfile)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from qaryz.core.models import MfoProfile


@admin.register(MfoProfile)
class MfoProfileAdmin(admin.ModelAdmin):
    list_display = ("short_name", "legal_name", "bin", "updated_at")
    readonly_fields = ("updated_at",)
    # Russian and Kazakh side by side: the Kazakh contract and letters print the Kazakh column
    # (a blank one falls back to Russian).
    fieldsets = (
        (None, {"fields": ("short_name", "bin", "first_head_full_name")}),
        (
            _("Legal name and addresses"),
            {
                "fields": (
                    ("legal_name", "legal_name_kk"),
                    ("legal_address", "legal_address_kk"),
                    ("actual_address", "actual_address_kk"),
                    ("licence", "licence_kk"),
                )
            },
        ),
        (_("Contacts"), {"fields": (("phones", "phones_kk"), "fax", "email", "website", "other_contacts")}),
        (_("Bank details"), {"fields": (("bank_name", "bank_name_kk"), "bank_bic", "bank_account")}),
        (_("Appearance"), {"fields": ("primary_color", "accent_color", "logo_svg", "updated_at")}),
    )
