"""Workbench lists (applications, contracts, loans) and the reports with their CSV exports,
including the accountant's ledger journal. Thin: the queries are in ``selectors`` and ``reports``."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from qaryz.access.decorators import staff_required
from qaryz.backoffice import charts, reports, selectors
from qaryz.backoffice.forms import (
    ApplicationFilterForm,
    ContractFilterForm,
    LedgerPeriodForm,
    LoanFilterForm,
    PeriodForm,
)
from qaryz.backoffice.views import filters_of, page_of
from qaryz.core.middleware import error_response
from qaryz.core.money import format_money
from qaryz.records.services import record_event as audit
from qaryz.servicing.selectors import account_label, transfer_kind_label


def _audit_list(request: HttpRequest, which: str, count: int, query: str) -> None:
    audit(
        "staff.viewed_client_list",
        category="security",
        actor=request.user,
        request=request,
        data={"list": which, "query": query, "count": count},
    )


@require_GET
@staff_required("lending.view_application")
def application_list(request: HttpRequest) -> HttpResponse:
    form = ApplicationFilterForm(request.GET)
    filters = filters_of(form)
    query = filters.pop("q", "")
    page, qs = page_of(request, selectors.applications(query, **filters))
    _audit_list(request, "applications", page.paginator.count, query)
    return render(request, "backoffice/applications.html", {"form": form, "page": page, "query": qs})


@require_GET
@staff_required("lending.view_application")
def contract_list(request: HttpRequest) -> HttpResponse:
    form = ContractFilterForm(request.GET)
    filters = filters_of(form)
    query = filters.pop("q", "")
    page, qs = page_of(request, selectors.contracts(query, **filters))
    _audit_list(request, "contracts", page.paginator.count, query)
    return render(request, "backoffice/contracts.html", {"form": form, "page": page, "query": qs})


@require_GET
@staff_required("servicing.view_loan")
def loan_list(request: HttpRequest) -> HttpResponse:
    form = LoanFilterForm(request.GET)
    filters = filters_of(form)
    query = filters.pop("q", "")
    page, qs = page_of(request, selectors.loans(query, **filters))
    audit(
        "staff.viewed_loan_list",
        category="security",
        actor=request.user,
        request=request,
        data={"query": query, "count": page.paginator.count},
    )
    return render(request, "backoffice/loans.html", {"form": form, "page": page, "query": qs})


# --- reports -------------------------------------------------------------------------------------
def _period(
    request: HttpRequest, form_class: type[PeriodForm] = PeriodForm
) -> tuple[PeriodForm, dt.date, dt.date, str]:
    form = form_class(request.GET)
    if form.is_valid():
        data = form.cleaned_data
        return form, data["since"], data["until"], data["grain"]
    today = timezone.localdate()
    return form, today - dt.timedelta(days=29), today, "day"


def _money(tiyn: int) -> str:
    return format_money(Decimal(tiyn) / 100, get_language() or "ru", symbol=False)


def _kzt(tiyn: int) -> str:
    """Tiyn as a plain decimal for CSV (``1234.50``), whatever the page language."""
    return f"{Decimal(tiyn) / 100:.2f}"


@require_GET
@staff_required("backoffice.view_reports")
def report_index(request: HttpRequest) -> HttpResponse:
    form, since, until, grain = _period(request)
    sections = []
    for entry in reports.reports_for(request.user):
        table = entry.build(since, until, grain)
        # bars in whole KZT (money columns are tiyn), axis ticks as plain grouped integers
        series = [
            (
                str(c.label),
                [
                    values.get(c.key, 0) / 100 if c.money else values.get(c.key, 0)
                    for _label, values in table.rows
                ],
            )
            for c in table.columns
            if c.key in table.chart
        ]
        chart = charts.bar_chart([label for label, _values in table.rows], series, title=str(entry.title))
        totals = table.totals()
        sections.append(
            {
                "report": entry,
                "table": table,
                "chart": chart,
                "legend": charts.legend([name for name, _values in series]),
                # the table leaves out empty periods (the chart and the CSV keep every period)
                "rows": [
                    (label, [(_money(v[c.key]) if c.money else v[c.key]) for c in table.columns])
                    for label, v in table.rows
                    if not entry.periodic or any(v.get(c.key) for c in table.columns)
                ],
                "totals": [(_money(totals[c.key]) if c.money else totals[c.key]) for c in table.columns],
            }
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "backoffice/reports.html",
        {
            "form": form,
            "since": since,
            "until": until,
            "sections": sections,
            "query": query.urlencode(),
            "can_ledger": request.user.has_perm("backoffice.view_ledger"),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_response(name: str, rows: Iterator[list]) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    body = (writer.writerow(row) for row in rows)
    response = StreamingHttpResponse(_with_bom(body), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    response["Cache-Control"] = "no-store"
    return response


def _with_bom(body: Iterator[str]) -> Iterator[str]:
    yield "\ufeff"  # spreadsheet programs read the file as UTF-8 with it
    yield from body


@require_GET
@staff_required("backoffice.view_reports")
def report_csv(request: HttpRequest, key: str) -> HttpResponse:
    entry = reports.report(key)
    if entry is None or not request.user.has_perm(entry.permission):
        return error_response(request, 404)
    _form, since, until, grain = _period(request)
    table = entry.build(since, until, grain)
    audit(
        "staff.exported_report",
        actor=request.user,
        request=request,
        data={"report": key, "since": since.isoformat(), "until": until.isoformat()},
    )

    def rows() -> Iterator[list]:
        yield [_("Period") if entry.periodic else _("Group"), *[str(c.label) for c in table.columns]]
        for label, values in table.rows:
            yield [label, *[(_kzt(values[c.key]) if c.money else values[c.key]) for c in table.columns]]

    return _csv_response(f"{key}-{since.isoformat()}-{until.isoformat()}", rows())


@require_GET
@staff_required("backoffice.view_ledger")
def ledger(request: HttpRequest) -> HttpResponse:
    form, since, until, _grain = _period(request, LedgerPeriodForm)
    turnover = [
        {
            "number": t.number,
            "label": account_label(t.kind, t.channel),
            "debit": t.debit,
            "credit": t.credit,
        }
        for t in selectors.ledger_turnover(since, until)
    ]
    query = request.GET.copy()
    return render(
        request,
        "backoffice/ledger.html",
        {
            "form": form,
            "since": since,
            "until": until,
            "turnover": turnover,
            "transfers": selectors.ledger_journal(since, until).count(),
            "total": sum(t["debit"] for t in turnover),
            "query": query.urlencode(),
        },
    )


@require_GET
@staff_required("backoffice.view_ledger")
def ledger_csv(request: HttpRequest) -> HttpResponse:
    """The journal of ledger transfers of the period, one line per transfer, streamed."""
    _form, since, until, _grain = _period(request, LedgerPeriodForm)
    accounts = selectors.accounts_by_id()
    audit(
        "staff.exported_ledger",
        actor=request.user,
        request=request,
        data={"since": since.isoformat(), "until": until.isoformat()},
    )

    def rows() -> Iterator[list]:
        yield [
            _("Transfer"),
            _("Booking date"),
            _("Value date"),
            _("Operation"),
            _("Entry"),
            _("Contract"),
            _("Debit account"),
            _("Debit account name"),
            _("Credit account"),
            _("Credit account name"),
            _("Amount, KZT"),
            _("Reversal of"),
        ]
        for t in selectors.ledger_journal(since, until).iterator(chunk_size=2000):
            debit, credit = accounts[t["debit_id"]], accounts[t["credit_id"]]
            yield [
                t["id"],
                t["booking_date"].isoformat(),
                t["value_date"].isoformat(),
                transfer_kind_label(t["kind"]),
                t["entry"],
                t["loan__number"] or "",
                debit[0],
                account_label(debit[1], debit[2]),
                credit[0],
                account_label(credit[1], credit[2]),
                _kzt(t["amount"]),
                t["reversal_of_id"] or "",
            ]

    return _csv_response(f"ledger-{since.isoformat()}-{until.isoformat()}", rows())
