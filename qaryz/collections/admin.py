from django.contrib import admin

from qaryz.collections.models import CollectionPolicy


@admin.register(CollectionPolicy)
class CollectionPolicyAdmin(admin.ModelAdmin):
    """Policies with effective dates: add a new row from a future date rather than editing the one
    in force, so that what applied on a past day stays visible."""

    list_display = (
        "effective_from",
        "contact_from",
        "contact_until",
        "contact_weekdays",
        "notice_deadline_days",
        "changed_terms_window_days",
        "answer_deadline_days",
    )
    ordering = ("-effective_from",)
