from django.contrib import admin

from qaryz.compliance.models import RescreenRun, Screening, ScreeningList, ScreeningListVersion


@admin.register(ScreeningList)
class ScreeningListAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "format"]


@admin.register(ScreeningListVersion)
class ScreeningListVersionAdmin(admin.ModelAdmin):
    list_display = ["screening_list", "number", "entry_count", "is_current", "imported_at"]

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False


@admin.register(Screening)
class ScreeningAdmin(admin.ModelAdmin):
    list_display = ["subject_name", "result", "best_score", "review_status", "context", "created_at"]
    list_filter = ["result", "review_status"]

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False  # reviews go through compliance.services.review_screening


admin.site.register(RescreenRun)
