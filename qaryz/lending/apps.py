from django.apps import AppConfig


class LendingConfig(AppConfig):
    name = "qaryz.lending"
    label = "lending"
    verbose_name = "Lending"

    def ready(self) -> None:
        from qaryz.compliance.signals import screening_reviewed
        from qaryz.lending.services import on_screening_reviewed

        # An AML officer's conclusion continues or refuses the application it was made for.
        screening_reviewed.connect(on_screening_reviewed, dispatch_uid="lending_screening_reviewed")
