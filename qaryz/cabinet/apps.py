from django.apps import AppConfig


class CabinetConfig(AppConfig):
    name = "qaryz.cabinet"
    label = "cabinet"
    verbose_name = "Cabinet"
