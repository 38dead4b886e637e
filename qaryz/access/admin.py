from django.contrib import admin

from qaryz.access.models import SecondFactor, StaffSecurity


@admin.register(StaffSecurity)
class StaffSecurityAdmin(admin.ModelAdmin):
    list_display = ("user", "second_factor", "failed_attempts", "locked_until")
    readonly_fields = ("failed_attempts", "locked_until", "password_changed_at")
    exclude = ("totp_secret",)

    def formfield_for_choice_field(self, db_field, request, **kwargs):  # type: ignore[no-untyped-def]
        if db_field.name == "second_factor":
            # Security keys are a client factor only (the staff_second_factor_usable constraint).
            kwargs["choices"] = [
                (v, label) for v, label in SecondFactor.choices if v != SecondFactor.WEBAUTHN
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)
