from django.apps import AppConfig


class AssuranceConfig(AppConfig):
    name = "qaryz.assurance"
    label = "assurance"
    verbose_name = "Assurance"
