from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "qaryz.api"
    label = "api"
    verbose_name = "Api"
