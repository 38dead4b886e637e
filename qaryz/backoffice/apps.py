from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "qaryz.backoffice"
    label = "backoffice"
    verbose_name = "Backoffice"
