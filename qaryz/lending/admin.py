"""Back-office-friendly admin of rule sets and product versions (the cap checks run on save)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from qaryz.lending import products as product_services
from qaryz.lending.models import Application, ApplicationEvent, Decision, LegalRuleSet, Product


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["code", *product_services.PRODUCT_FIELDS]

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        candidate = Product(
            **{k: v for k, v in data.items() if k in ["code", *product_services.PRODUCT_FIELDS]}
        )
        try:
            product_services.validate_product(candidate)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        return data


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductForm
    list_display = [
        "code",
        "version",
        "name",
        "is_active",
        "min_amount",
        "max_amount",
        "nominal_rate_percent",
    ]
    list_filter = ["is_active"]
    readonly_fields = ["version", "created_at"]

    def save_model(self, request, obj, form, change) -> None:  # type: ignore[no-untyped-def]
        if change and obj.applications.exists():
            # A version used by an application never changes: the edit becomes a new version.
            data = {k: form.cleaned_data[k] for k in product_services.PRODUCT_FIELDS}
            new = product_services.save_product_version(obj.code, data, actor=request.user)
            obj.pk, obj.version = new.pk, new.version
            return
        if not change:
            obj.version = (
                Product.objects.filter(code=obj.code)
                .order_by("-version")
                .values_list("version", flat=True)
                .first()
                or 0
            ) + 1
        super().save_model(request, obj, form, change)


@admin.register(LegalRuleSet)
class LegalRuleSetAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "effective_from",
        "max_effective_rate_percent",
        "max_amount_mci",
        "mci_value",
        "debt_burden_limit",
    ]


class EventInline(admin.TabularInline):
    model = ApplicationEvent
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "at", "note"]


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["id", "client", "product", "rule_set", "amount", "term_months", "status", "created_at"]
    list_filter = ["status"]
    inlines = [EventInline]

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False  # state changes go through the services only


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ["application", "outcome", "score", "automatic", "created_at"]

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
