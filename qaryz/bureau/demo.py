"""Demo data of the bureau room (R-CB-1): the list of responsible persons – the demo compliance
officer (user ``compliance``) sends the daily feed from account ``demo-bureau-reporter``; the demo
underwriter holds the inquiry account the lending room uses (``settings.LENDING_BUREAU_ACCOUNT``).
Then the feed of yesterday is sent to the embedded bureau when the close of business allows it, so
the back-office page "Credit bureau" has a feed day to show. Idempotent.
"""

from __future__ import annotations

import datetime as dt
from typing import TextIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from qaryz.bureau import selectors, services
from qaryz.bureau.models import ResponsiblePerson
from qaryz.bureau.ports import BureauError

DEMO_PEOPLE = [
    ("compliance", "demo-bureau-reporter", ResponsiblePerson.Role.REPORTER),
    ("underwriter", None, ResponsiblePerson.Role.INQUIRER),  # None: settings.LENDING_BUREAU_ACCOUNT
]


def load_demo(out: TextIO) -> None:
    User = get_user_model()
    start = timezone.localdate() - dt.timedelta(days=365)
    for username, account, role in DEMO_PEOPLE:
        account = account or settings.LENDING_BUREAU_ACCOUNT
        user = User.objects.filter(username=username).first()
        if user is None:
            out.write(f"bureau: demo user {username} missing, responsible person {account} skipped\n")
            continue
        if not ResponsiblePerson.objects.filter(account=account).exists():
            services.appoint_responsible_person(
                user, account=account, role=role, active_from=start, actor="system"
            )
        out.write(f"bureau: account {account} belongs to staff user {username}\n")
    if settings.BUREAU_FEED != "embedded":
        return
    try:
        result = services.send_feed()
    except (services.NoResponsiblePerson, services.FeedNotReady, BureauError) as exc:
        out.write(f"bureau: demo feed not sent: {exc}\n")
        return
    day = next(d for d in selectors.feed_days(5) if d.date == result.date)
    out.write(
        f"bureau: feed of {day.date}: {day.records} loans, {day.accepted} accepted,"  # type: ignore[attr-defined]
        f" {day.rejected} rejected (back office → Credit bureau)\n"  # type: ignore[attr-defined]
    )
