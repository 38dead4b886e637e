# ruff: noqa: S608 – the SQL is built from this module's own fragments; every value is a parameter
"""The daily feed snapshot: ONE ``INSERT … SELECT`` per date writes every reported loan's state into
``bureau_record`` (PostgreSQL and SQLite; no Python object per loan).

What is reported for date D, from the loans' cached state after the close of business of D:
every loan paid out on or before D that is active, or repaid / written off and not yet accepted by
the bureau in that final state on an earlier day. Status in words of the port:

- ``cleared``   – a correction record exists for the loan (Rules §13, court verdict): no debt;
- ``suspended`` – ``Loan.suspended_from`` ≤ D (a fraud-victim case, Rules §13): no debt, 0 days;
- ``written_off`` / ``closed`` – from the loan's status;
- ``overdue`` when days past due > 0, else ``current``.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

NO_DEBT = "x.st IN ('suspended', 'cleared')"


def _money(expression: str) -> str:
    return f"CASE WHEN {NO_DEBT} THEN 0 ELSE {expression} END"


SNAPSHOT_SQL = f"""
INSERT INTO bureau_record (
    kind, feed_date, loan_id, source_key, contract_number, subject_id, subject_kind, reported_status,
    final, amount, disbursed_on, principal, principal_overdue, interest, interest_overdue, penalty,
    fees_overdue, days_past_due, dpd_bucket, reason, batch_id, outcome, reject_code, reject_message,
    created_at)
SELECT 'daily', %(day)s, x.id, NULL, x.number, COALESCE(c.iin, c.bin),
    CASE WHEN c.iin IS NULL THEN 'bin' ELSE 'iin' END, x.st,
    CASE WHEN x.st IN ('closed', 'written_off', 'cleared') THEN %(yes)s ELSE %(no)s END,
    x.principal, x.disbursed_on,
    {_money("x.principal_current + x.principal_overdue")},
    {_money("x.principal_overdue")},
    {_money("x.interest_accrued + x.interest_overdue")},
    {_money("x.interest_overdue")},
    {_money("x.penalty")},
    {_money("x.fee_overdue")},
    {_money("x.days_past_due")},
    {_money("x.dpd_bucket")},
    '', NULL, 'pending', '', '', %(now)s
FROM (
    SELECT l.id, l.number, l.client_id, l.principal, l.disbursed_on, l.principal_current,
        l.principal_overdue, l.interest_accrued, l.interest_overdue, l.penalty, l.fee_overdue,
        l.days_past_due, l.dpd_bucket,
        CASE
            WHEN EXISTS (SELECT 1 FROM bureau_record k WHERE k.loan_id = l.id AND k.kind = 'correction')
                THEN 'cleared'
            WHEN l.suspended_from IS NOT NULL AND l.suspended_from <= %(day)s THEN 'suspended'
            WHEN l.status = 'written_off' THEN 'written_off'
            WHEN l.status = 'closed' THEN 'closed'
            WHEN l.days_past_due > 0 THEN 'overdue'
            ELSE 'current'
        END AS st
    FROM servicing_loan l
    WHERE l.disbursed_on IS NOT NULL AND l.disbursed_on <= %(day)s
        AND l.status IN ('active', 'closed', 'written_off')
        AND (l.status = 'active' OR NOT EXISTS (
            SELECT 1 FROM bureau_record f
            WHERE f.loan_id = l.id AND f.final = %(yes)s AND f.outcome = 'accepted' AND f.feed_date < %(day)s))
) x
JOIN clients_client c ON c.id = x.client_id
"""


def insert_snapshot(day: dt.date, now: dt.datetime) -> int:
    """Write the feed records of ``day``; returns how many. The caller holds the FeedDay lock."""
    ops = connection.ops
    params = {
        "day": ops.adapt_datefield_value(day),
        "now": ops.adapt_datetimefield_value(now),
        "yes": True,
        "no": False,
    }
    with connection.cursor() as cursor:
        cursor.execute(SNAPSHOT_SQL, params)
        return cursor.rowcount
