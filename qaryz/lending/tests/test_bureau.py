"""Credit bureau port: the HTTP adapter against the project's simulator on a real port (R-PRE-8, R-CB-1)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from qaryz.lending.adapters.bureau_simulator import BureauSimulator, serve_in_thread
from qaryz.lending.adapters.embedded import EmbeddedCreditBureau
from qaryz.lending.adapters.http import HttpCreditBureau, parse_report
from qaryz.lending.ports import BureauError
from qaryz.lending.tests.factories import make_iin

pytestmark = pytest.mark.req("R-PRE-8", "R-CB-1")
CONSENT = {
    "consent_reference": "application-1",
    "consent_at": dt.datetime(2026, 11, 22, 8, 0, tzinfo=dt.UTC),
    "account": "officer-1",
}


@pytest.fixture
def bureau_url():
    now = [1_000_000.0]
    simulator = BureauSimulator(api_key="k", clock=lambda: now[0])
    server, url = serve_in_thread(simulator)
    yield url, now
    server.shutdown()
    server.server_close()


def test_http_adapter_reads_deterministic_answers(bureau_url):
    url, _ = bureau_url
    bureau = HttpCreditBureau(url, "k", timeout=5)
    refusal = bureau.report(make_iin("850315", "3", 9001), **CONSENT)
    assert refusal.voluntary_refusal and refusal.voluntary_refusal_since == dt.date(2025, 2, 1)
    overdue = bureau.report(make_iin("880720", "3", 9101), **CONSENT)
    assert overdue.current_overdue_days == 45 and overdue.total_debt == D("350000.00")
    many = bureau.report(make_iin("910101", "3", 9201), **CONSENT)
    assert len(many.loans) == 6 and many.monthly_payments == D("570000.00")
    delayed = bureau.report(make_iin("910101", "3", 9401), **CONSENT)
    assert delayed.max_overdue_days_12m == 120 and delayed.current_overdue_days == 0
    clean_iin = make_iin("900214", "3", 1)
    first = bureau.report(clean_iin, **CONSENT)
    again = bureau.report(clean_iin, **CONSENT)
    assert not first.voluntary_refusal and first.loans == again.loans  # deterministic per IIN


def test_simulator_counts_applications_in_the_last_hour(bureau_url):
    url, now = bureau_url
    bureau = HttpCreditBureau(url, "k")
    iin = make_iin("930505", "3", 1)
    assert [bureau.report(iin, **CONSENT).applications_last_hour for _ in range(3)] == [0, 1, 2]
    now[0] += 3601
    assert bureau.report(iin, **CONSENT).applications_last_hour == 0
    flagged = bureau.report(make_iin("930505", "3", 9301), **CONSENT)
    assert flagged.applications_last_hour >= 5


def test_errors_never_look_like_clean_reports(bureau_url):
    url, _ = bureau_url
    with pytest.raises(BureauError, match="401"):
        HttpCreditBureau(url, "wrong").report(make_iin(), **CONSENT)
    with pytest.raises(BureauError, match="400"):
        HttpCreditBureau(url, "k").report(make_iin(), **{**CONSENT, "consent_reference": ""})
    with pytest.raises(BureauError, match="unreachable"):
        HttpCreditBureau("http://127.0.0.1:9", "k", timeout=0.5, retries=1).report(make_iin(), **CONSENT)
    with pytest.raises(BureauError, match="unreadable"):
        parse_report("900214300011", {"report_id": "x", "contracts": []})


def test_embedded_adapter_uses_the_same_http_contract():
    report = EmbeddedCreditBureau().report(make_iin("850315", "3", 9002), **CONSENT)
    assert report.voluntary_refusal and report.raw["subject"]["iin"].startswith("850315")
