from django.apps import AppConfig


class AntifraudConfig(AppConfig):
    name = "qaryz.antifraud"
    label = "antifraud"
    verbose_name = "Antifraud"
