from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "qaryz.compliance"
    label = "compliance"
    verbose_name = "Compliance"
