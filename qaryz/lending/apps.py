from django.apps import AppConfig


class LendingConfig(AppConfig):
    name = "qaryz.lending"
    label = "lending"
    verbose_name = "Lending"
