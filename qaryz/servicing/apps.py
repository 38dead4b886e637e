from django.apps import AppConfig


class ServicingConfig(AppConfig):
    name = "qaryz.servicing"
    label = "servicing"
    verbose_name = "Servicing"

    def ready(self) -> None:
        from qaryz.lending.signals import contract_signed
        from qaryz.records import append_only
        from qaryz.servicing.services import on_contract_signed

        # The ledger is append-only like the audit trail (triggers installed by migration 0002).
        append_only.register("servicing_transfer")
        # A signed contract is booked as a loan awaiting disbursement, in the signing transaction.
        contract_signed.connect(on_contract_signed, dispatch_uid="servicing_book_loan")
