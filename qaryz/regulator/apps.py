from django.apps import AppConfig


class RegulatorConfig(AppConfig):
    name = "qaryz.regulator"
    label = "regulator"
    verbose_name = "Regulator notices"
