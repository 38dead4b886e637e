"""Credit bureau over HTTP (the real counterparty's contract, mapped to the internal model)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

import httpx

from qaryz.lending.ports import BureauError, BureauLoan, CreditReport


def parse_report(iin: str, body: dict) -> CreditReport:
    """Map the bureau's JSON to the internal model.

    Expected fields: ``report_id``; ``voluntary_refusal: {registered: bool, since: date|null}``;
    ``contracts: [{creditor, outstanding, monthly_payment, overdue_days, max_overdue_days_12m}]``;
    ``inquiries_last_hour: int``. Missing or malformed fields raise BureauError: a report we
    cannot read never counts as a clean one.
    """
    try:
        refusal = body["voluntary_refusal"]
        since = refusal.get("since")
        loans = [
            BureauLoan(
                creditor=str(item.get("creditor", "")),
                outstanding=Decimal(str(item["outstanding"])),
                monthly_payment=Decimal(str(item["monthly_payment"])),
                overdue_days=int(item["overdue_days"]),
                max_overdue_days_12m=int(item.get("max_overdue_days_12m", item["overdue_days"])),
            )
            for item in body["contracts"]
        ]
        return CreditReport(
            report_id=str(body["report_id"]),
            iin=iin,
            voluntary_refusal=bool(refusal["registered"]),
            voluntary_refusal_since=dt.date.fromisoformat(since) if since else None,
            loans=loans,
            applications_last_hour=int(body["inquiries_last_hour"]),
            raw=body,
        )
    except (KeyError, TypeError, ValueError, InvalidOperation, AttributeError) as exc:
        raise BureauError(f"unreadable credit report: {exc!r}") from exc


class HttpCreditBureau:
    name = "http"

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 10.0,
        retries: int = 2,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.retries = retries
        self.transport = transport

    def report(
        self, iin: str, *, consent_reference: str, consent_at: dt.datetime, account: str
    ) -> CreditReport:
        payload = {
            "iin": iin,
            "consent": {"reference": consent_reference, "given_at": consent_at.isoformat()},
            "account": account,
        }
        last: Exception | None = None
        with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
            # Retried only on connection failures (the request never reached the bureau).
            for _ in range(self.retries + 1):
                try:
                    response = client.post(
                        f"{self.base_url}/v1/reports",
                        json=payload,
                        headers={"Authorization": f"Bearer {self.api_key}"},
                    )
                    break
                except httpx.ConnectError as exc:
                    last = exc
            else:
                raise BureauError(f"credit bureau unreachable: {last!r}")
        if response.status_code != 200:
            raise BureauError(f"credit bureau answered {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise BureauError("credit bureau answer is not JSON") from exc
        return parse_report(iin, body)
