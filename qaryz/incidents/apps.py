from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "qaryz.incidents"
    label = "incidents"
    verbose_name = "Incidents"
