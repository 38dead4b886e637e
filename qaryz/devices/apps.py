from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "qaryz.devices"
    label = "devices"
    verbose_name = "Devices"
