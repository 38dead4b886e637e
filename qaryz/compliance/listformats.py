"""Parsers of published screening lists into one entry shape. Pure: no Django import.

Formats (chosen per list, with options – docs/compliance.md):
* ``csv``: one row per person/entity. Options: ``delimiter`` (","), ``encoding`` ("utf-8-sig"),
  ``alias_separator`` (";"), ``columns`` mapping our fields (id, name, aliases, birth_date, iin,
  kind) to the file's column names. Dates as YYYY-MM-DD, DD.MM.YYYY or a bare year.
* ``ftm``: FollowTheMoney entities (as published by OpenSanctions and others), JSON lines or a
  JSON array; Person/Organization/Company/LegalEntity schemata; names from name/alias/
  previousName/weakAlias, birthDate, and a 12-digit idNumber/innCode/taxNumber as the IIN/BIN.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

DEFAULT_COLUMNS = {
    "id": "id",
    "name": "name",
    "aliases": "aliases",
    "birth_date": "birth_date",
    "iin": "iin",
    "kind": "kind",
}
FTM_SCHEMATA = {"Person": "person", "Organization": "entity", "Company": "entity", "LegalEntity": "entity"}
_TWELVE = re.compile(r"\b(\d{12})\b")


class ListFormatError(ValueError):
    """The file does not match the configured format (the message says where)."""


@dataclass
class ParsedEntry:
    external_id: str
    name: str
    aliases: list[str] = field(default_factory=list)
    birth_date: dt.date | None = None
    birth_year: int | None = None
    iin: str = ""
    entity_kind: str = "person"

    def fingerprint(self) -> str:
        data = [
            self.external_id,
            self.name,
            sorted(self.aliases),
            str(self.birth_date),
            self.birth_year,
            self.iin,
        ]
        return hashlib.sha256(json.dumps(data, ensure_ascii=False).encode()).hexdigest()


def parse_date(value: str) -> tuple[dt.date | None, int | None]:
    value = (value or "").strip()
    if not value:
        return None, None
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y"):
        try:
            day = dt.datetime.strptime(value, fmt).date()
            return day, day.year
        except ValueError:
            continue
    if re.fullmatch(r"\d{4}", value):
        return None, int(value)
    if re.fullmatch(r"\d{4}-\d{2}", value):
        return None, int(value[:4])
    raise ListFormatError(f"unknown date {value!r}")


def _iin(value: str) -> str:
    found = _TWELVE.search(value or "")
    return found.group(1) if found else ""


def parse_csv(content: bytes, options: dict) -> Iterator[ParsedEntry]:
    columns = {**DEFAULT_COLUMNS, **options.get("columns", {})}
    text = content.decode(options.get("encoding", "utf-8-sig"))
    reader = csv.DictReader(io.StringIO(text), delimiter=options.get("delimiter", ","))
    missing = {columns["name"]} - set(reader.fieldnames or [])
    if missing:
        raise ListFormatError(f"CSV header lacks column(s): {', '.join(sorted(missing))}")
    separator = options.get("alias_separator", ";")
    for line, row in enumerate(reader, start=2):
        name = (row.get(columns["name"]) or "").strip()
        if not name:
            raise ListFormatError(f"line {line}: empty name")
        try:
            birth_date, birth_year = parse_date(row.get(columns["birth_date"]) or "")
        except ListFormatError as exc:
            raise ListFormatError(f"line {line}: {exc}") from None
        aliases = [a.strip() for a in (row.get(columns["aliases"]) or "").split(separator) if a.strip()]
        yield ParsedEntry(
            external_id=(row.get(columns["id"]) or str(line)).strip(),
            name=name,
            aliases=aliases,
            birth_date=birth_date,
            birth_year=birth_year,
            iin=_iin(row.get(columns["iin"]) or ""),
            entity_kind=(row.get(columns["kind"]) or "person").strip() or "person",
        )


def _ftm_objects(content: bytes) -> Iterator[dict]:
    text = content.decode("utf-8-sig").strip()
    if text.startswith("["):
        yield from json.loads(text)
        return
    for line_no, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise ListFormatError(f"line {line_no}: not JSON ({exc.msg})") from None


def parse_ftm(content: bytes, options: dict) -> Iterator[ParsedEntry]:
    for obj in _ftm_objects(content):
        kind = FTM_SCHEMATA.get(obj.get("schema", ""))
        if kind is None:
            continue  # addresses, sanctions programmes, relations: not screened subjects
        props = obj.get("properties", {})
        names = [n for key in ("name", "alias", "previousName", "weakAlias") for n in props.get(key, [])]
        if not names:
            continue
        birth_date, birth_year = None, None
        for value in props.get("birthDate", []):
            try:
                birth_date, birth_year = parse_date(value)
                break
            except ListFormatError:
                continue
        iin = ""
        for key in ("idNumber", "innCode", "taxNumber", "registrationNumber"):
            for value in props.get(key, []):
                iin = iin or _iin(value)
        yield ParsedEntry(
            external_id=str(obj.get("id", "")),
            name=names[0],
            aliases=list(dict.fromkeys(names[1:])),
            birth_date=birth_date,
            birth_year=birth_year,
            iin=iin,
            entity_kind=kind,
        )


PARSERS = {"csv": parse_csv, "ftm": parse_ftm}


def parse(content: bytes, fmt: str, options: dict | None = None) -> list[ParsedEntry]:
    try:
        parser = PARSERS[fmt]
    except KeyError:
        raise ListFormatError(f"unknown list format {fmt!r}; known: {', '.join(PARSERS)}") from None
    try:
        return list(parser(content, options or {}))
    except (UnicodeDecodeError, json.JSONDecodeError, csv.Error) as exc:
        raise ListFormatError(str(exc)) from None
