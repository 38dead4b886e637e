"""Demo work for the back-office queues: the demo client Жалғасбеков Демобек applies for a loan and,
because his name resembles the fictional AML list entry DEMO-0002, the application waits for the AML
officer (back office → AML review) and then the underwriter (→ Underwriting). Idempotent."""

from decimal import Decimal
from typing import TextIO

from qaryz.clients.models import Client
from qaryz.lending import services
from qaryz.lending.models import Application
from qaryz.lending.products import current_products

DEMO_REVIEW_PHONE = "+77010000003"


def load_demo(out: TextIO) -> None:
    client = Client.objects.filter(phone=DEMO_REVIEW_PHONE).first()
    products = current_products(Client.Kind.INDIVIDUAL)
    if client is None or not products:
        return
    app = Application.objects.filter(client=client).order_by("pk").first()
    if app is None:
        app = services.create_application(client, products[0], Decimal("250000"), 12, "annuity")
        for key in services.ACK_KEYS:
            services.acknowledge(app, key)
        services.choose_disbursement(app, "bank_account", iban="KZ86125KZT5004100100")
        services.submit(app, monthly_income=Decimal("450000"), bureau_consent=True)
    out.write(
        f"demo application #{app.pk} of {client.display_name}: {app.get_status_display()} "
        "(back office: compliance → AML review, then underwriter → Underwriting)\n"
    )
