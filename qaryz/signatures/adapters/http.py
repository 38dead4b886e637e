"""The real revocation adapter: OCSP (POST application/ocsp-request) and CRL download over HTTP."""

from __future__ import annotations

from datetime import timedelta

import httpx

from ..revocation import OcspCrlChecker

MAX_ANSWER_BYTES = 20 * 1024 * 1024  # NCA's full CRLs are large; delta CRLs much smaller


class TransportError(OSError):
    """Network failure or unusable HTTP answer (the checker then falls back or fails closed)."""


class HttpRevocationChecker(OcspCrlChecker):
    def __init__(
        self,
        *,
        ocsp_url: str = "",
        crl_url: str = "",
        timeout: float = 5.0,
        cache_seconds: int = 300,
        max_age: timedelta = timedelta(days=1),
    ) -> None:
        self.client = httpx.Client(timeout=timeout, follow_redirects=False)
        super().__init__(
            fetch_ocsp=self._post_ocsp,
            fetch_crl=self._get_crl,
            ocsp_url=ocsp_url,
            crl_url=crl_url,
            cache_seconds=cache_seconds,
            max_age=max_age,
        )

    def _post_ocsp(self, url: str, request: bytes) -> bytes:
        try:
            response = self.client.post(
                url, content=request, headers={"Content-Type": "application/ocsp-request"}
            )
        except httpx.HTTPError as exc:
            raise TransportError(str(exc)) from exc
        if response.status_code != 200 or len(response.content) > MAX_ANSWER_BYTES:
            raise TransportError(f"HTTP {response.status_code}")
        return response.content

    def _get_crl(self, url: str) -> bytes:
        try:
            response = self.client.get(url)
        except httpx.HTTPError as exc:
            raise TransportError(str(exc)) from exc
        if response.status_code != 200 or len(response.content) > MAX_ANSWER_BYTES:
            raise TransportError(f"HTTP {response.status_code}")
        return response.content
