from django.apps import AppConfig


class CorrespondenceConfig(AppConfig):
    name = "qaryz.correspondence"
    label = "correspondence"
    verbose_name = "Correspondence"
