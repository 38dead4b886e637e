from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ClientsConfig(AppConfig):
    name = "qaryz.clients"
    label = "clients"
    verbose_name = "Clients"

    def ready(self) -> None:
        from qaryz.clients.db_triggers import ensure_triggers

        post_migrate.connect(ensure_triggers, sender=self, dispatch_uid="clients_triggers")
