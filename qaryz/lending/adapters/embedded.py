"""The embedded credit bureau adapter: the real HTTP adapter talking to the project's own
simulator in-process (httpx WSGI transport), so the HTTP contract is exercised even offline."""

from __future__ import annotations

import httpx

from qaryz.lending.adapters.bureau_simulator import BureauSimulator
from qaryz.lending.adapters.http import HttpCreditBureau

_SIMULATOR = BureauSimulator(api_key="embedded")


class EmbeddedCreditBureau(HttpCreditBureau):
    name = "embedded"

    def __init__(self, simulator: BureauSimulator | None = None) -> None:
        super().__init__(
            "http://bureau.embedded", "embedded", transport=httpx.WSGITransport(app=simulator or _SIMULATOR)
        )
