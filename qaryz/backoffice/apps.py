from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "qaryz.backoffice"
    label = "backoffice"
    verbose_name = "Backoffice"

    def ready(self) -> None:
        from qaryz.backoffice import queues, reports

        queues.register_builtin()
        reports.register_builtin()
