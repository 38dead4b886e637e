"""Django admin for clients: IIN/BIN are read-only here too (R-ONB-7); identity is never edited."""

from django.contrib import admin

from qaryz.clients.models import BankAccount, Client, LegalEntitySigner


class SignerInline(admin.StackedInline):
    model = LegalEntitySigner
    extra = 0
    can_delete = False
    readonly_fields = ("iin", "photo_ref", "authority_scan_ref")


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "status", "display_name", "created_at")
    list_filter = ("kind", "status")
    # Only the language is editable here; status changes go through services (audited).
    readonly_fields = (
        "kind",
        "status",
        "iin",
        "bin",
        "surname",
        "given_name",
        "patronymic",
        "legal_name",
        "phone",
        "id_doc_type",
        "id_doc_number",
        "id_doc_expiry",
        "face_photo_ref",
        "created_at",
        "confirmed_at",
    )
    fields = readonly_fields + ("preferred_language",)
    inlines = [SignerInline]

    def has_add_permission(self, request):  # clients register themselves (R-ONB-8)
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(BankAccount)
class BankAccountAdmin(admin.ModelAdmin):
    list_display = ("client", "kind", "is_current", "created_at")
    readonly_fields = ("client", "kind", "value", "is_current", "created_at", "replaced_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
