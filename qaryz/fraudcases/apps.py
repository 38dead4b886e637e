from django.apps import AppConfig


class FraudcasesConfig(AppConfig):
    name = "qaryz.fraudcases"
    label = "fraudcases"
    verbose_name = "Fraud-victim cases"
