"""What ``manage.py check_ledger`` checks, set-based: one GROUP BY over the journal for the cached
balances of every loan, one query each for the accruing-instalment pointer (``cur_*``) and the
schedule's unpaid sums. Only differing rows leave the database (memory does not grow with the
portfolio).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection

from qaryz.servicing.models import LOAN_BALANCES


@dataclass(frozen=True)
class Difference:
    loan_id: int
    number: str
    figure: str
    cached: object
    expected: object

    def __str__(self) -> str:
        return f"loan {self.number} (id {self.loan_id}): {self.figure} cached {self.cached}, from the ledger {self.expected}"


def _balance_sql() -> str:
    sums = ", ".join(
        f"SUM(CASE WHEN kind = '{kind}' THEN amount ELSE 0 END) * {sign} AS {kind}"
        for kind, sign in LOAN_BALANCES.items()
    )
    differs = " OR ".join(f"COALESCE(s.{kind}, 0) <> l.{kind}" for kind in LOAN_BALANCES)
    cached = ", ".join(f"l.{kind}, COALESCE(s.{kind}, 0)" for kind in LOAN_BALANCES)
    return (
        f"SELECT l.id, l.number, {cached} FROM servicing_loan l LEFT JOIN ("  # noqa: S608  # nosec B608 – names from code
        f" SELECT loan_id, {sums} FROM ("
        " SELECT t.loan_id, a.kind, t.amount FROM servicing_transfer t"
        " JOIN servicing_ledgeraccount a ON a.id = t.debit_id WHERE t.loan_id IS NOT NULL"
        " UNION ALL"
        " SELECT t.loan_id, a.kind, -t.amount FROM servicing_transfer t"
        " JOIN servicing_ledgeraccount a ON a.id = t.credit_id WHERE t.loan_id IS NOT NULL"
        f" ) legs GROUP BY loan_id) s ON s.loan_id = l.id WHERE {differs} ORDER BY l.id"
    )


POINTER_SQL = """
SELECT l.id, l.number, l.cur_number, l.cur_start, l.cur_due, l.cur_interest,
       i.number, i.period_start, i.due_date, i.interest - i.interest_paid
FROM servicing_loan l
LEFT JOIN servicing_instalment i ON i.loan_id = l.id AND i.version = l.schedule_version AND i.number = (
    SELECT MIN(u.number) FROM servicing_instalment u
    WHERE u.loan_id = l.id AND u.version = l.schedule_version AND u.fell_due = %s)
WHERE l.status = 'active' AND (
    COALESCE(l.cur_number, -1) <> COALESCE(i.number, -1)
    OR (i.id IS NOT NULL AND (l.cur_start <> i.period_start OR l.cur_due <> i.due_date))
)
ORDER BY l.id
"""

# The schedule's unpaid sums against the cached balances (which the first check ties to the
# ledger): all unpaid principal of the schedule in force is the principal receivable; what fell
# due and is unpaid is the overdue principal, interest and fees.
SCHEDULE_SQL = """
SELECT l.id, l.number, l.principal_current + l.principal_overdue, s.principal_unpaid,
       l.principal_overdue, s.principal_overdue, l.interest_overdue, s.interest_overdue,
       l.fee_overdue, s.fee_overdue
FROM servicing_loan l JOIN (
    SELECT i.loan_id,
           SUM(i.principal - i.principal_paid) AS principal_unpaid,
           SUM(CASE WHEN i.fell_due = %s THEN i.principal - i.principal_paid ELSE 0 END) AS principal_overdue,
           SUM(CASE WHEN i.fell_due = %s THEN i.interest - i.interest_paid ELSE 0 END) AS interest_overdue,
           SUM(CASE WHEN i.fell_due = %s THEN i.fee - i.fee_paid ELSE 0 END) AS fee_overdue
    FROM servicing_instalment i JOIN servicing_loan v ON v.id = i.loan_id AND i.version = v.schedule_version
    GROUP BY i.loan_id
) s ON s.loan_id = l.id
WHERE l.status IN ('active', 'closed') AND (
    l.principal_current + l.principal_overdue <> s.principal_unpaid OR l.principal_overdue <> s.principal_overdue
    OR l.interest_overdue <> s.interest_overdue OR l.fee_overdue <> s.fee_overdue)
ORDER BY l.id
"""


def differences() -> Iterator[Difference]:
    with connection.cursor() as cursor:
        cursor.execute(_balance_sql())
        for row in cursor:
            loan_id, number, *values = row
            for n, kind in enumerate(LOAN_BALANCES):
                cached, expected = values[2 * n], values[2 * n + 1]
                if cached != expected:
                    yield Difference(loan_id, number, str(kind), cached, expected)
        cursor.execute(POINTER_SQL, [False])
        for (
            loan_id,
            number,
            cur_number,
            cur_start,
            cur_due,
            _ci,
            i_number,
            i_start,
            i_due,
            _ii,
        ) in cursor.fetchall():
            yield Difference(
                loan_id,
                number,
                "accruing instalment (cur_number, cur_start, cur_due)",
                (cur_number, _iso(cur_start), _iso(cur_due)),
                (i_number, _iso(i_start), _iso(i_due)),
            )
        cursor.execute(SCHEDULE_SQL, [True, True, True])
        labels = ["principal unpaid in the schedule", "principal overdue", "interest overdue", "fee overdue"]
        for row in cursor.fetchall():
            loan_id, number, *values = row
            for n, label in enumerate(labels):
                cached, expected = values[2 * n], values[2 * n + 1]
                if cached != expected:
                    yield Difference(loan_id, number, f"{label} (schedule)", cached, expected)
        cursor.execute(UNKNOWN_ACCOUNT_SQL)
        (unknown,) = cursor.fetchone()
        if unknown:
            yield Difference(0, "-", "transfers naming no account of the chart", unknown, 0)
        cursor.execute(SUSPENSE_SQL)
        held, open_items = cursor.fetchone()
        if held != open_items:
            yield Difference(
                0, "-", "suspense account against the open unidentified payments", held, open_items
            )


# Every transfer names accounts of the chart (the account columns carry no foreign-key trigger).
UNKNOWN_ACCOUNT_SQL = """
SELECT COUNT(*) FROM servicing_transfer t
WHERE NOT EXISTS (SELECT 1 FROM servicing_ledgeraccount a WHERE a.id = t.debit_id)
   OR NOT EXISTS (SELECT 1 FROM servicing_ledgeraccount a WHERE a.id = t.credit_id)
"""

# The suspense account holds exactly the money of the unidentified payments not assigned to a loan
# and not yet returned (one being returned leaves suspense when the bank confirms it).
SUSPENSE_SQL = """
SELECT
  (SELECT COALESCE(SUM(CASE WHEN a.id = t.credit_id THEN t.amount ELSE -t.amount END), 0)
     FROM servicing_transfer t JOIN servicing_ledgeraccount a
       ON a.kind = 'suspense' AND (a.id = t.credit_id OR a.id = t.debit_id)),
  (SELECT COALESCE(SUM(amount), 0) FROM servicing_suspenseitem WHERE status IN ('open', 'returning'))
"""


def _iso(value: object) -> object:
    return value.isoformat() if hasattr(value, "isoformat") else value
