"""Writing many rows of one model with few round trips, where Django's ``bulk_update`` is slow.

``bulk_update`` builds one ``CASE WHEN id = … THEN …`` expression per field and row: for 100 loans
and 20 fields that is 2,000 expression objects to resolve and compile, most of the cost of posting
a batch of payments. ``update_rows`` sends one plain ``UPDATE … WHERE id = %s`` through
``executemany`` instead (pipelined by psycopg, native in sqlite3): the statement is parsed once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, cast

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
    if connection.vendor == "postgresql":
        # One statement for all rows: the new values travel as one JSON parameter, typed by the
        # table's own row type (no per-row statement to compose and send).
        table, pk_column = quote(meta.db_table), quote(str(pk.column))
        convert = [(field.attname, str(field.column), _json_converter(field)) for field in columns]
        payload = json.dumps(
            [
                {pk.column: row.pk, **{col: conv(getattr(row, name)) for name, col, conv in convert}}
                for row in rows
            ],
            ensure_ascii=False,
        )
        assignments = ", ".join(
            f"{quote(str(field.column))} = v.{quote(str(field.column))}" for field in columns
        )
        sql = (
            f"UPDATE {table} SET {assignments} FROM json_populate_recordset(NULL::{table}, %s) AS v "  # noqa: S608  # nosec B608 – names from the model
            f"WHERE {table}.{pk_column} = v.{pk_column}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [payload])
        return
    params = [
        [field.get_db_prep_save(getattr(row, field.attname), connection) for field in columns] + [row.pk]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _json_converter(field: models.Field) -> Callable[[Any], Any]:
    """The function turning one attribute value of ``field`` into JSON that PostgreSQL's input
    function for the column's type reads back as the same value."""
    kind = field.get_internal_type()
    if kind in ("DateField", "DateTimeField", "TimeField"):
        return lambda v: None if v is None else v.isoformat()
    if kind in ("UUIDField", "DecimalField"):
        return lambda v: None if v is None else str(v)
    if kind == "BinaryField":
        return lambda v: None if v is None else "\\x" + bytes(v).hex()
    if kind == "JSONField":
        encoder = cast(models.JSONField, field).encoder
        return lambda v: v if encoder is None or v is None else json.loads(json.dumps(v, cls=encoder))
    return lambda v: v


# --- inserting with COPY ------------------------------------------------------------------------
_INT_TYPES = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
}
_TEXT_TYPES = {"CharField", "TextField", "SlugField", "EmailField", "URLField", "GenericIPAddressField"}


def _copy_converter(field: models.Field) -> Callable[[Any], Any]:
    """The function turning one attribute value of ``field`` into what COPY's row writer takes
    (psycopg adapts ints, text, dates, times, UUIDs, decimals, booleans and bytes itself)."""
    kind = field.get_internal_type()
    if kind == "JSONField":
        encoder = cast(models.JSONField, field).encoder
        return lambda v: None if v is None else json.dumps(v, cls=encoder, ensure_ascii=False)
    if kind == "BinaryField":
        return lambda v: None if v is None else bytes(v)
    if kind in _INT_TYPES or kind in _TEXT_TYPES or field.is_relation or kind in _NATIVE_TYPES:
        return _identity
    # Anything else: exactly what save() would send.
    return lambda v: None if v is None else field.get_db_prep_save(v, connection)


def _identity(value: Any) -> Any:
    return value


_NATIVE_TYPES = {"BooleanField", "DateField", "DateTimeField", "UUIDField", "DecimalField", "FloatField"}


@cache
def _copy_plan(
    model: type[models.Model],
) -> tuple[str, list[tuple[str, Callable[[Any], str]]], list[models.Field]]:
    """COPY of every concrete column of ``model`` (``_values_plan`` of all its attributes) and its
    ``auto_now`` / ``auto_now_add`` fields."""
    fields = [f for f in model._meta.concrete_fields if not getattr(f, "generated", False)]
    sql, _insert, plan = _values_plan(model, tuple(f.attname for f in fields))
    auto_now = [f for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)]
    return sql, [(name, convert) for name, convert, _field in plan], auto_now


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh values of ``model``'s auto-increment primary key (PostgreSQL), in one query."""
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, cast(models.Field, meta.pk).column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _fill_auto_now(rows: Sequence[models.Model], fields: Sequence[models.Field]) -> None:
    """``auto_now`` fields get now; ``auto_now_add`` ones only where the row holds no value yet."""
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for row in rows:
                if getattr(row, field.attname) is None or getattr(field, "auto_now", False):
                    field.pre_save(row, add=True)


def insert_new_rows(rows: Sequence[models.Model]) -> None:
    """Insert rows of one model, skipping those a unique constraint already holds (like
    ``bulk_create(ignore_conflicts=True)``: the rows get no ids). On PostgreSQL one
    ``INSERT … SELECT … FROM json_populate_recordset … ON CONFLICT DO NOTHING``."""
    if not rows:
        return
    model = type(rows[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(rows, ignore_conflicts=True)
        return
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not (f.primary_key and isinstance(f, models.AutoField))]
    _fill_auto_now(rows, fields)
    convert = [(f.attname, str(f.column), _json_converter(f)) for f in fields]
    payload = json.dumps(
        [{col: conv(getattr(row, name)) for name, col, conv in convert} for row in rows], ensure_ascii=False
    )
    quote = connection.ops.quote_name
    table, columns = quote(meta.db_table), ", ".join(quote(col) for _n, col, _c in convert)
    sql = (
        f"INSERT INTO {table} ({columns}) SELECT {columns} "  # noqa: S608  # nosec B608 – names from the model
        f"FROM json_populate_recordset(NULL::{table}, %s) ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [payload])


def insert_rows(rows: Sequence[models.Model]) -> None:
    """Insert new rows of one model, like ``bulk_create`` but, on PostgreSQL, with one COPY.

    ``bulk_create`` spends most of a large insert preparing each value through the field API and
    dumping the UNNEST arrays; COPY takes plain text. Values are what the model holds (defaults
    applied by its constructor, ``auto_now``/``auto_now_add`` filled here); an auto-increment
    primary key that is not set yet is drawn from its sequence first, so the rows know their ids.
    Constraints and triggers apply as for any INSERT. Other databases use ``bulk_create``."""
    if not rows:
        return
    model = type(rows[0])
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(rows)
        return
    sql, plan, auto_now = _copy_plan(model)
    pk = cast(models.Field, model._meta.pk)
    missing = [row for row in rows if getattr(row, pk.attname) is None]
    if missing:
        for row, new_id in zip(missing, allocate_ids(model, len(missing)), strict=True):
            setattr(row, pk.attname, new_id)
    _fill_auto_now(rows, auto_now)
    # Through the raw psycopg cursor; errors become Django's (IntegrityError …) as for execute().
    # psycopg formats and escapes each row in C (write_row); values are the model's own.
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
        write = copy.write_row
        for row in rows:
            write([convert(getattr(row, name)) for name, convert in plan])
    for row in rows:
        row._state.adding = False
        row._state.db = connection.alias


@cache
def _values_plan(
    model: type[models.Model], names: tuple[str, ...]
) -> tuple[str, str, list[tuple[str, Callable[[Any], Any], models.Field]]]:
    meta = model._meta
    fields = [cast(models.Field, meta.get_field(name)) for name in names]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in fields)
    table = quote(meta.db_table)
    copy_sql = f"COPY {table} ({columns}) FROM STDIN"
    insert_sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"  # noqa: S608  # nosec B608 – names from the model
    return copy_sql, insert_sql, [(f.attname, _copy_converter(f), f) for f in fields]


def insert_values(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows given as dicts of attribute names (``loan_id``, not ``loan``) → values, every
    dict with the same keys: no model instance is built (for the hundreds of rows of a posted
    batch, constructing instances costs more than writing them). Columns left out get their
    database default (an auto-increment id its next value); Django-side defaults and ``auto_now``
    are NOT applied – the caller gives every value. One COPY on PostgreSQL; elsewhere one statement
    through ``executemany`` with the fields' own preparation of each value."""
    if not rows:
        return
    copy_sql, insert_sql, plan = _values_plan(model, tuple(rows[0]))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with connection.wrap_database_errors, cursor.cursor.copy(copy_sql) as copy:
                write = copy.write_row
                for row in rows:
                    write([convert(row[name]) for name, convert, _f in plan])
            return
        cursor.executemany(
            insert_sql,
            [[field.get_db_prep_save(row[name], connection) for name, _c, field in plan] for row in rows],
        )
