from django.apps import AppConfig


class BureauConfig(AppConfig):
    name = "qaryz.bureau"
    label = "bureau"
    verbose_name = "Credit-bureau reporting"
