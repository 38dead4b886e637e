from django.apps import AppConfig


class RisksConfig(AppConfig):
    name = "qaryz.risks"
    label = "risks"
    verbose_name = "Risk registers"
