"""The back-office credit-bureau page (permission ``bureau.view_reporting``): the responsible
persons and their accounts (R-CB-1), the feed days with what the bureau accepted and rejected, and
the rejected records with the reasons in words."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from qaryz.access.decorators import staff_required
from qaryz.bureau import selectors
from qaryz.records.services import record_event as audit


@staff_required("bureau.view_reporting")
def reporting(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    day: dt.date | None = None
    problem = ""
    raw = request.GET.get("day", "")[:10]
    if raw:
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            problem = _("The date is not valid; all rejected records are shown.")
    audit("staff.viewed_bureau_reporting", category="security", actor=request.user, request=request)
    return render(
        request,
        "bureau/reporting.html",
        {
            "persons": selectors.responsible_persons(today),
            "days": selectors.feed_days(),
            "rejected": selectors.rejected_records(day),
            "one_off": selectors.one_off_records(),
            "day": day,
            "problem": problem,
        },
    )
