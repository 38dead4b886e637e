from django.apps import AppConfig


class SignaturesConfig(AppConfig):
    name = "qaryz.signatures"
    label = "signatures"
    verbose_name = "Signatures"
