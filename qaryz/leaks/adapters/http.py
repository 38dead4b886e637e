"""A mobile operator (or the e-government phone registry) over HTTPS.

Contract (docs/registers.md "Data-leak measures"): ``POST {base}/v1/subscriber-checks`` with
``Authorization: Bearer <token>`` and body ``{"phone": "+77…", "iin": "…"}`` → 200
``{"result": "match" | "mismatch" | "unknown", "operator": "…"}``. Any other status, a timeout or
an unreadable body raises ``OperatorError``.
"""

from __future__ import annotations

import httpx

from qaryz.leaks.ports import RESULTS, OperatorError, OwnerAnswer


class HttpMobileOperator:
    name = "http"

    def __init__(
        self,
        base_url: str,
        *,
        token: str,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not base_url or not token:
            raise OperatorError("set QARYZ_LEAKS_OPERATOR_URL and QARYZ_LEAKS_OPERATOR_TOKEN")
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.transport = transport

    def check_owner(self, phone: str, iin: str) -> OwnerAnswer:
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
                response = client.post(
                    f"{self.base_url}/v1/subscriber-checks",
                    json={"phone": phone, "iin": iin},
                    headers={"Authorization": f"Bearer {self.token}"},
                )
        except httpx.HTTPError as exc:
            raise OperatorError(f"operator unreachable: {exc.__class__.__name__}") from exc
        if response.status_code != 200:
            raise OperatorError(f"operator answered {response.status_code}")
        try:
            body = response.json()
            result = body["result"]
        except (ValueError, KeyError, TypeError) as exc:
            raise OperatorError("unreadable operator answer") from exc
        if result not in RESULTS:
            raise OperatorError(f"unknown result {result!r}")
        return OwnerAnswer(result, str(body.get("operator", ""))[:60])
