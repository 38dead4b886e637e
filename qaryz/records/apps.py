from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "qaryz.records"
    label = "records"
    verbose_name = "Records"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from qaryz.records import auditing, signals  # noqa: F401  (connects the auth receivers)

        auditing.register_defaults()
