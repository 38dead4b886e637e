from django.apps import AppConfig


class CollectionsConfig(AppConfig):
    name = "qaryz.collections"
    label = "collections"
    verbose_name = "Collections"
