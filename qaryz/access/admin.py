from django.contrib import admin

from qaryz.access.models import StaffSecurity


@admin.register(StaffSecurity)
class StaffSecurityAdmin(admin.ModelAdmin):
    list_display = ("user", "second_factor", "failed_attempts", "locked_until")
    readonly_fields = ("failed_attempts", "locked_until", "password_changed_at")
    exclude = ("totp_secret",)
