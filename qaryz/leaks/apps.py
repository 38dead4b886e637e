from django.apps import AppConfig


class LeaksConfig(AppConfig):
    name = "qaryz.leaks"
    label = "leaks"
    verbose_name = "Data-leak measures"
