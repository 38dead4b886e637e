"""Reports (issue 14 item 8): figures per period match the seeded loans, payments, applications
and incidents; charts are server-rendered SVG; the CSV exports carry the same figures; the
accountant's ledger journal is every ledger transfer of the period, line by line."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.db.models import Sum
from django.utils import timezone

from qaryz.access.testing import make_staff, sign_in_staff
from qaryz.backoffice import charts, reports, selectors
from qaryz.backoffice.charts import bar_chart
from qaryz.lending.models import Application, Decision
from qaryz.servicing.models import Loan, Payment, Transfer

pytestmark = pytest.mark.django_db


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


@pytest.fixture
def book(lending_setup):
    """Two loans paid out on two days, one payment on the second loan, one incident."""
    from qaryz.incidents.services import report_incident
    from qaryz.servicing import repayments
    from qaryz.servicing.tests.factories import active_loan

    today = timezone.localdate()
    first = active_loan(lending_setup, today - dt.timedelta(days=3))
    second = active_loan(lending_setup, today - dt.timedelta(days=1), amount="150000")
    repayments.post_payment(
        second, channel="cash_desk", payer_reference="R-1", amount_tiyn=2_500_000, value_date=today
    )
    report_incident(kind="fraud", summary="Заём на чужое имя", source="test:1", actor="system")
    return {"today": today, "loans": [first, second]}


@pytest.mark.req("R-ACC-1")
def test_money_and_application_figures_match_the_seeded_data(book):
    today = book["today"]
    since = today - dt.timedelta(days=6)
    money = selectors.money_report(since, today, "day")
    assert money.total("disbursed") == sum(loan.principal for loan in book["loans"])
    assert money.total("loans") == 2 and money.total("payments") == 1 and money.total("repaid") == 2_500_000
    by_day = dict(money.rows)
    assert by_day[today - dt.timedelta(days=3)]["disbursed"] == book["loans"][0].principal
    assert by_day[today]["repaid"] == 2_500_000 and len(money.rows) == 7

    applications = selectors.applications_report(since, today, "day")
    assert applications.total("submitted") == Application.objects.exclude(submitted_at=None).count() == 2
    assert applications.total("approve") == Decision.objects.filter(outcome="approve").count() >= 2
    weekly = selectors.applications_report(since, today, "week")
    assert weekly.total("submitted") == 2 and all(day.weekday() == 0 for day, _v in weekly.rows)
    monthly = selectors.money_report(since, today, "month")
    assert monthly.total("disbursed") == money.total("disbursed")


@pytest.mark.req("R-ACC-1")
def test_portfolio_by_days_past_due_bucket(book):
    first, second = book["loans"]
    Loan.objects.filter(pk=second.pk).update(dpd_bucket=2, days_past_due=40)  # as a close of business would
    rows = {row.bucket: row for row in selectors.portfolio_by_bucket()}
    first.refresh_from_db()
    second.refresh_from_db()
    assert rows[0].loans == 1 and rows[0].principal == first.principal_current + first.principal_overdue
    assert rows[2].loans == 1 and rows[2].debt == selectors.loans(second.number).get().debt_total
    assert rows[1].loans == rows[3].loans == rows[4].loans == 0
    from django.utils import translation

    with translation.override("ru"):
        assert selectors.bucket_label(0) == "Без просрочки" and selectors.bucket_label(2) == "31–60 дней"
        assert selectors.bucket_label(4) == "91 и более дней"


@pytest.mark.req("R-ACC-1")
def test_the_ledger_csv_is_the_journal_of_the_period(client, book):
    today = book["today"]
    since = today - dt.timedelta(days=10)
    sign_in_staff(client, make_staff("accountant"))
    response = client.get(
        "/backoffice/ledger/journal.csv", {"since": since.isoformat(), "until": today.isoformat()}
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    header, *lines = _csv(response)
    assert len(header) == 12
    transfers = Transfer.objects.filter(booking_date__gte=since, booking_date__lte=today).order_by("id")
    assert [int(line[0]) for line in lines] == list(transfers.values_list("id", flat=True)) and lines
    total = transfers.aggregate(s=Sum("amount"))["s"]
    assert sum(round(float(line[10]) * 100) for line in lines) == total
    sample = transfers.select_related("loan").first()
    line = lines[0]
    assert line[1] == sample.booking_date.isoformat() and line[5] == sample.loan.number
    assert line[6] == sample.debit.number and line[8] == sample.credit.number
    assert re.fullmatch(r"\d+\.\d\d", line[10])
    # no raw codes: operation and account names are words
    for value in (line[3], line[7], line[9]):
        assert "_" not in value and value
    # a period before anything was booked: only the header
    empty = client.get("/backoffice/ledger/journal.csv", {"since": "2000-01-01", "until": "2000-01-31"})
    assert len(_csv(empty)) == 1


@pytest.mark.req("R-ACC-1")
def test_the_ledger_page_shows_balanced_turnover(client, book):
    sign_in_staff(client, make_staff("accountant"))
    page = client.get("/backoffice/ledger/", {"since": (book["today"] - dt.timedelta(days=10)).isoformat()})
    assert page.status_code == 200
    body = page.content.decode()
    turnover = selectors.ledger_turnover(book["today"] - dt.timedelta(days=10), book["today"])
    assert sum(t.debit for t in turnover) == sum(t.credit for t in turnover) > 0
    assert all(t.number in body for t in turnover)


@pytest.mark.req("R-ACC-1")
def test_the_accountants_dashboard_has_figures(client, book):
    sign_in_staff(client, make_staff("accountant"))
    body = client.get("/backoffice/", HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert 'id="accounting"' in body and "Выдано за месяц" in body
    month_start = book["today"].replace(day=1)
    disbursed = Loan.objects.filter(disbursed_on__gte=month_start).aggregate(s=Sum("principal"))["s"] or 0
    from qaryz.servicing.templatetags.servicing import tiyn_money

    assert str(tiyn_money(disbursed)) in body
    assert "/backoffice/ledger/" in body


@pytest.mark.req("R-ACC-1")
def test_the_reports_page_draws_svg_charts_and_exports_csv(client, book):
    sign_in_staff(client, make_staff("compliance"))
    page = client.get("/backoffice/reports/", HTTP_ACCEPT_LANGUAGE="ru")
    body = page.content.decode()
    assert page.status_code == 200
    for key in ("applications", "money", "portfolio", "incidents"):
        assert f'id="{key}"' in body, key
    assert body.count("<svg") >= 4 and "<script" not in body.split("</footer>")[0].split("<main")[1]
    assert "Мошенничество" in body or "мошенничеств" in body.lower()
    rows = _csv(client.get("/backoffice/reports/money.csv"))
    assert rows[0][0] == "Период"
    assert sum(round(float(r[1]) * 100) for r in rows[1:]) == sum(loan.principal for loan in book["loans"])
    assert sum(int(r[4]) for r in rows[1:]) == Payment.objects.count()
    incidents = _csv(client.get("/backoffice/reports/incidents.csv"))
    assert sum(int(v) for r in incidents[1:] for v in r[1:]) == 1
    assert client.get("/backoffice/reports/nothing.csv").status_code == 404
    bad = client.get("/backoffice/reports/", {"since": "2026-05-01", "until": "2020-01-01"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()


@pytest.mark.req("R-ACC-1")
def test_reports_follow_the_roles(client, book):
    sign_in_staff(client, make_staff("support"))
    assert client.get("/backoffice/reports/").status_code == 403
    assert client.get("/backoffice/ledger/journal.csv").status_code == 403
    client.cookies.clear()
    sign_in_staff(client, make_staff("accountant"))  # reports, but not the incident register
    body = client.get("/backoffice/reports/").content.decode()
    assert 'id="money"' in body and 'id="incidents"' not in body
    assert client.get("/backoffice/reports/incidents.csv").status_code == 404


@pytest.mark.req("R-ACC-1")
def test_a_report_plugged_in_by_another_room_appears(client, book):
    saved = dict(reports._REPORTS)
    try:
        reports.register_report(
            "antifraud",
            "Antifraud hits",
            "backoffice.view_reports",
            lambda since, until, grain: reports.Table(
                columns=[reports.Column("hits", "Hits")], rows=[("01.12", {"hits": 7})], chart=["hits"]
            ),
        )
        sign_in_staff(client, make_staff("accountant"))
        body = client.get("/backoffice/reports/").content.decode()
        assert 'id="antifraud"' in body and "Antifraud hits" in body
        assert _csv(client.get("/backoffice/reports/antifraud.csv"))[1] == ["01.12", "7"]
    finally:
        reports._REPORTS.clear()
        reports._REPORTS.update(saved)


def test_the_chart_is_plain_svg_with_escaped_text():
    svg = str(bar_chart(["<b>", "2"], [("A&B", [1, 3]), ("C", [0, 2])], title='x"y'))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<script" not in svg and "style=" not in svg and "<b>" not in svg and "&lt;b&gt;" in svg
    assert svg.count("<rect") == 4  # one bar per value (the legend is HTML)
    legend = str(charts.legend(["A&B", "C"]))
    assert legend.count("<li>") == 2 and "A&amp;B" in legend


@pytest.mark.req("R-ACC-1")
def test_lists_and_reports_cost_the_same_queries_whatever_the_number_of_loans(client, book, lending_setup):
    """Set-based: one query per list page, chart series or turnover side, not one per loan."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from qaryz.servicing.tests.factories import active_loan

    sign_in_staff(client, make_staff("accountant"))
    urls = ["/backoffice/loans/", "/backoffice/reports/", "/backoffice/ledger/", "/backoffice/"]

    def cost() -> dict[str, int]:
        out = {}
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            out[url] = len(queries)
        return out

    before = cost()
    for n in range(3):
        active_loan(lending_setup, book["today"] - dt.timedelta(days=n), amount="120000")
    assert cost() == before
