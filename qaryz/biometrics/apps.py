from django.apps import AppConfig


class BiometricsConfig(AppConfig):
    name = "qaryz.biometrics"
    label = "biometrics"
    verbose_name = "Biometrics"
