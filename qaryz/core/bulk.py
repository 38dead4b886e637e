"""Writing many rows of one model with few round trips, where Django's ``bulk_update`` is slow.

``bulk_update`` builds one ``CASE WHEN id = … THEN …`` expression per field and row: for 100 loans
and 20 fields that is 2,000 expression objects to resolve and compile, most of the cost of posting
a batch of payments. ``update_rows`` sends one plain ``UPDATE … WHERE id = %s`` through
``executemany`` instead (pipelined by psycopg, native in sqlite3): the statement is parsed once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from django.db import connection, models


def update_rows(rows: Sequence[models.Model], fields: Sequence[str]) -> None:
    """Save ``fields`` of each row (all rows of one model), values prepared by the fields
    themselves exactly as ``save()`` would."""
    if not rows:
        return
    meta = rows[0]._meta
    columns = [cast(models.Field, meta.get_field(name)) for name in fields]  # concrete fields only
    pk = cast(models.Field, meta.pk)
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(str(field.column))} = %s" for field in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(str(pk.column))} = %s"  # noqa: S608  # nosec B608 – names from the model
    params = [
        [field.get_db_prep_save(getattr(row, field.attname), connection) for field in columns] + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
