from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "qaryz.core"
    label = "core"
    verbose_name = "Core"
