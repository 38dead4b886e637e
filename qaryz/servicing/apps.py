from django.apps import AppConfig


class ServicingConfig(AppConfig):
    name = "qaryz.servicing"
    label = "servicing"
    verbose_name = "Servicing"
